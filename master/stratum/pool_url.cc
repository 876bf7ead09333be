#include "master/stratum/pool_url.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/sv2/authority_key.h"

namespace synth::stratum {
namespace {

bool IsIpLiteral(const std::string& host) {
  return host.find_first_not_of("0123456789.") == std::string::npos ||
         host.find(':') != std::string::npos;
}

std::string BaseDomain(const std::string& host) {
  std::vector<std::string> labels = absl::StrSplit(host, '.', absl::SkipEmpty());
  if (labels.size() <= 2) return host;
  return absl::StrCat(labels[labels.size() - 2], ".", labels.back());
}

}  // namespace

std::string PoolUrl::ToString() const {
  if (sv2) {
    return absl::StrCat("stratum2+tcp://", host, ":", port, "/",
                        sv2::FormatAuthorityKey(authority_key));
  }
  return absl::StrCat(tls ? "stratum+ssl://" : "stratum+tcp://", host, ":", port);
}

absl::StatusOr<PoolUrl> ParsePoolUrl(const std::string& url) {
  PoolUrl out;
  std::string rest;
  if (absl::StartsWith(url, "stratum+tcp://")) {
    rest = url.substr(14);
  } else if (absl::StartsWith(url, "stratum+ssl://") || absl::StartsWith(url, "stratum+tls://")) {
    rest = url.substr(14);
    out.tls = true;
  } else if (absl::StartsWith(url, "stratum2+tcp://")) {
    rest = url.substr(15);
    out.sv2 = true;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "pool URL '", url, "': scheme must be stratum+tcp://, stratum+ssl:// or stratum2+tcp://"));
  }
  if (out.sv2) {
    size_t slash = rest.find('/');
    if (slash == std::string::npos || slash + 1 == rest.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("pool URL '", url,
                       "': stratum2+tcp:// needs the pool's authority key: "
                       "stratum2+tcp://HOST:PORT/AUTHORITY_KEY"));
    }
    absl::StatusOr<std::array<uint8_t, 32>> key = sv2::ParseAuthorityKey(rest.substr(slash + 1));
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("pool URL '", url, "': ", key.status().message()));
    }
    out.authority_key = *key;
    rest.resize(slash);
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  size_t colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("pool URL '", url, "': expected HOST:PORT"));
  }
  out.host = absl::AsciiStrToLower(rest.substr(0, colon));
  if (out.host.front() == '[' && out.host.back() == ']') out.host = out.host.substr(1, out.host.size() - 2);
  if (!absl::SimpleAtoi(rest.substr(colon + 1), &out.port) || out.port < 1 || out.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("pool URL '", url, "': bad port"));
  }
  if (out.host.find_first_of("/ @") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("pool URL '", url, "': bad host"));
  }
  return out;
}

bool SameDomain(const std::string& target, const std::string& current) {
  std::string t = absl::AsciiStrToLower(target);
  std::string c = absl::AsciiStrToLower(current);
  if (t == c) return true;
  if (IsIpLiteral(t) || IsIpLiteral(c)) return false;
  return BaseDomain(t) == BaseDomain(c);
}

}  // namespace synth::stratum
