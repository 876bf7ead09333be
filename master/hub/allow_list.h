// File: master/hub/allow_list.h
//
// Which peers may connect to the downstream Stratum port (`--stratum-allow`): a list of IPv4 and
// IPv6 networks in CIDR form. An IPv4-mapped IPv6 peer (::ffff:a.b.c.d, what a dual-stack socket
// reports) is matched as the IPv4 address it carries.
//
//   ASSIGN_OR_RETURN(AllowList allow, AllowList::Parse("127.0.0.0/8,::1/128,10.1.0.0/16"));
//   if (!allow.Allows(peer_address)) close the connection;
//
// Thread-safe: immutable after Parse.
#ifndef SYNTH_MASTER_HUB_ALLOW_LIST_H_
#define SYNTH_MASTER_HUB_ALLOW_LIST_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "asio/ip/address.hpp"

namespace synth::hub {

// The default: loopback only.
inline constexpr char kDefaultAllow[] = "127.0.0.0/8,::1/128";

class AllowList {
 public:
  // Parses comma-separated CIDRs ("10.0.0.0/8", "fd00::/8"; a bare address is /32 or /128).
  // INVALID_ARGUMENT naming the bad entry; an empty list is an error (nobody could connect).
  static absl::StatusOr<AllowList> Parse(absl::string_view text);

  // True when `address` lies in one of the networks.
  bool Allows(const asio::ip::address& address) const;

  // The networks as given, normalized ("127.0.0.0/8,::1/128").
  std::string ToString() const;

 private:
  struct Network {
    std::array<uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes.
    bool v6 = false;
    int prefix = 0;
  };
  static bool Matches(const Network& n, const std::array<uint8_t, 16>& bytes, bool v6);

  std::vector<Network> networks_;
};

}  // namespace synth::hub

#endif  // SYNTH_MASTER_HUB_ALLOW_LIST_H_
