#include "master/api/access.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace synth::api {
namespace {

// Parses an address; IPv4 with fewer than four parts is padded with ".0" (cgminer's rule).
bool ParseAddress(absl::string_view text, bool* v6, std::array<uint8_t, 16>* out) {
  std::string s(text);
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  out->fill(0);
  if (s.find(':') != std::string::npos) {
    *v6 = true;
    return inet_pton(AF_INET6, s.c_str(), out->data()) == 1;
  }
  *v6 = false;
  std::vector<std::string> parts = absl::StrSplit(s, '.');
  if (parts.empty() || parts.size() > 4) return false;
  while (parts.size() < 4) parts.push_back("0");
  for (int i = 0; i < 4; ++i) {
    int v = -1;
    if (parts[i].empty() || parts[i].size() > 3 || !absl::SimpleAtoi(parts[i], &v) || v < 0 ||
        v > 255) {
      return false;
    }
    (*out)[i] = static_cast<uint8_t>(v);
  }
  return true;
}

// True when the first `prefix` bits of `a` and `b` agree.
bool PrefixMatches(const std::array<uint8_t, 16>& a, const std::array<uint8_t, 16>& b, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(a.data(), b.data(), full) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

}  // namespace

absl::StatusOr<ApiAccess> ApiAccess::Parse(absl::string_view list) {
  ApiAccess access;
  for (absl::string_view raw : absl::StrSplit(list, ',')) {
    absl::string_view item = absl::StripAsciiWhitespace(raw);
    if (item.empty()) continue;
    Entry e;
    bool reader = true;
    if (item.size() > 2 && item[1] == ':' && absl::ascii_isalpha(item[0])) {
      char group = absl::ascii_toupper(item[0]);
      if (group != 'W' && group != 'R') {
        return absl::InvalidArgumentError(
            absl::StrCat("--api-allow '", item, "': only the groups W: and R: are supported"));
      }
      e.write = group == 'W';
      reader = !e.write;
      item.remove_prefix(2);
    }
    absl::string_view address = item, prefix;
    if (size_t slash = item.rfind('/'); slash != absl::string_view::npos) {
      address = item.substr(0, slash);
      prefix = item.substr(slash + 1);
    }
    if (!ParseAddress(address, &e.v6, &e.addr)) {
      return absl::InvalidArgumentError(absl::StrCat("--api-allow '", item, "': bad address"));
    }
    int max = e.v6 ? 128 : 32;
    e.prefix = max;
    if (address.size() != item.size() &&  // A '/' was given: a prefix must follow.
        (!absl::SimpleAtoi(prefix, &e.prefix) || e.prefix < 0 || e.prefix > max)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--api-allow '", item, "': prefix must be 0..", max));
    }
    access.names_readers_ |= reader;
    access.entries_.push_back(e);
  }
  return access;
}

ApiGroup ApiAccess::Lookup(absl::string_view ip) const {
  const ApiGroup unmatched = names_readers_ ? ApiGroup::kNone : ApiGroup::kRead;
  bool v6 = false;
  std::array<uint8_t, 16> addr;
  if (!ParseAddress(ip, &v6, &addr)) return unmatched;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (v6 && std::memcmp(addr.data(), kMapped, sizeof(kMapped)) == 0) {
    std::memmove(addr.data(), addr.data() + 12, 4);
    std::memset(addr.data() + 4, 0, 12);
    v6 = false;
  }
  for (const Entry& e : entries_) {
    if (e.v6 == v6 && PrefixMatches(e.addr, addr, e.prefix)) {
      return e.write ? ApiGroup::kWrite : ApiGroup::kRead;
    }
  }
  return unmatched;
}

bool ApiAccess::read_only() const {
  for (const Entry& e : entries_) {
    if (e.write) return false;
  }
  return true;
}

}  // namespace synth::api
