#include "master/service/auth.h"

#include <openssl/crypto.h>

namespace synth::service {

bool IsLoopbackPeer(std::string_view peer) {
  return peer.starts_with("ipv4:127.") || peer.starts_with("ipv6:[::1]") ||
         peer.starts_with("ipv6:[::ffff:127.") || peer.starts_with("unix:");
}

absl::Status CheckAuth(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                       std::string_view peer, std::string_view token) {
  if (token.empty()) {
    if (IsLoopbackPeer(peer)) return absl::OkStatus();
    return absl::UnauthenticatedError("this master has no token and accepts loopback peers only");
  }
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return absl::UnauthenticatedError("missing authorization metadata");
  std::string_view got(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (!got.starts_with(kBearer)) {
    return absl::UnauthenticatedError("authorization must be 'Bearer <token>'");
  }
  got.remove_prefix(kBearer.size());
  // Constant-time compare, so the token cannot be guessed byte by byte from timing.
  if (got.size() != token.size() || CRYPTO_memcmp(got.data(), token.data(), got.size()) != 0) {
    return absl::UnauthenticatedError("wrong token");
  }
  return absl::OkStatus();
}

}  // namespace synth::service
