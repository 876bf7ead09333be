#include "master/hub/allow_list.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace synth::hub {
namespace {

// Returns the address's bytes (IPv4 in the first 4) and whether it is IPv6; an IPv4-mapped IPv6
// address counts as the IPv4 address.
std::array<uint8_t, 16> BytesOf(const asio::ip::address& a, bool* v6) {
  std::array<uint8_t, 16> out{};
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    auto v4 = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_bytes();
    std::copy(v4.begin(), v4.end(), out.begin());
    *v6 = false;
  } else if (a.is_v4()) {
    auto v4 = a.to_v4().to_bytes();
    std::copy(v4.begin(), v4.end(), out.begin());
    *v6 = false;
  } else {
    out = a.to_v6().to_bytes();
    *v6 = true;
  }
  return out;
}

}  // namespace

absl::StatusOr<AllowList> AllowList::Parse(absl::string_view text) {
  AllowList list;
  for (absl::string_view entry : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(entry, '/');
    asio::error_code ec;
    asio::ip::address addr = asio::ip::make_address(std::string(parts.first), ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("--stratum-allow: bad address in '", entry, "'"));
    Network n;
    n.bytes = BytesOf(addr, &n.v6);
    int max = n.v6 ? 128 : 32;
    n.prefix = max;
    if (entry.find('/') != absl::string_view::npos &&
        (!absl::SimpleAtoi(parts.second, &n.prefix) || n.prefix < 0 || n.prefix > max)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--stratum-allow: bad prefix length in '", entry, "' (0..", max, ")"));
    }
    list.networks_.push_back(n);
  }
  if (list.networks_.empty()) {
    return absl::InvalidArgumentError("--stratum-allow: no network given (nobody could connect)");
  }
  return list;
}

bool AllowList::Matches(const Network& n, const std::array<uint8_t, 16>& bytes, bool v6) {
  if (n.v6 != v6) return false;
  int full = n.prefix / 8;
  if (!std::equal(bytes.begin(), bytes.begin() + full, n.bytes.begin())) return false;
  int rest = n.prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (n.bytes[full] & mask);
}

bool AllowList::Allows(const asio::ip::address& address) const {
  bool v6 = false;
  std::array<uint8_t, 16> bytes = BytesOf(address, &v6);
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const Network& n) { return Matches(n, bytes, v6); });
}

std::string AllowList::ToString() const {
  return absl::StrJoin(networks_, ",", [](std::string* out, const Network& n) {
    asio::ip::address a;
    if (n.v6) {
      a = asio::ip::address_v6(n.bytes);
    } else {
      a = asio::ip::address_v4({n.bytes[0], n.bytes[1], n.bytes[2], n.bytes[3]});
    }
    absl::StrAppend(out, a.to_string(), "/", n.prefix);
  });
}

}  // namespace synth::hub
