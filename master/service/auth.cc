#include "master/service/auth.h"

#include <openssl/crypto.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace synth::service {

bool IsLoopbackPeer(std::string_view peer) {
  return peer.starts_with("ipv4:127.") || peer.starts_with("ipv6:[::1]") ||
         peer.starts_with("ipv6:[::ffff:127.") || peer.starts_with("unix:");
}

bool IsLoopbackListenAddress(std::string_view listen) {
  if (listen.starts_with("unix:")) return true;
  if (listen.starts_with("dns:") || listen.starts_with("ipv4:") || listen.starts_with("ipv6:")) {
    listen.remove_prefix(listen.find(':') + 1);
    while (listen.starts_with("/")) listen.remove_prefix(1);
  }
  size_t colon = listen.rfind(':');
  std::string host(listen.substr(0, colon == std::string_view::npos ? listen.size() : colon));
  absl::AsciiStrToLower(&host);
  if (host == "localhost" || host == "[::1]" || host == "::1") return true;
  return host.starts_with("127.") && host.find_first_not_of("0123456789.") == std::string::npos;
}

namespace {

// Constant-time compare, so a token cannot be guessed byte by byte from timing (the length may
// leak; it is not secret enough to matter).
bool SameToken(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

TokenSet::TokenSet(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}

bool TokenSet::Replace(std::vector<std::string> tokens) {
  if (tokens.empty()) return false;
  absl::MutexLock lock(&mu_);
  tokens_ = std::move(tokens);
  return true;
}

bool TokenSet::Contains(std::string_view token) const {
  absl::MutexLock lock(&mu_);
  bool found = false;
  for (const std::string& t : tokens_) found |= SameToken(token, t);  // No early exit.
  return found;
}

size_t TokenSet::size() const {
  absl::MutexLock lock(&mu_);
  return tokens_.size();
}

absl::Status CheckListenPolicy(std::string_view listen, const AuthPolicy& policy) {
  if (policy.has_token() || policy.mtls || policy.insecure) return absl::OkStatus();
  if (IsLoopbackListenAddress(listen)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "refusing to listen on ", std::string(listen),
      " (reachable from other hosts) without authentication: set --token (or SYNTH_TOKEN), "
      "or --tls-client-ca for mTLS, or pass --insecure to accept anyone"));
}

absl::Status CheckAuth(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                       std::string_view peer, bool peer_cert_verified, const AuthPolicy& policy) {
  if (policy.mtls && !peer_cert_verified) {
    return absl::UnauthenticatedError("a verified client certificate is required (mTLS)");
  }
  if (!policy.has_token()) {
    if (policy.mtls || policy.insecure || IsLoopbackPeer(peer)) return absl::OkStatus();
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
  const bool matches = (!policy.token.empty() && SameToken(got, policy.token)) ||
                       (policy.tokens != nullptr && policy.tokens->Contains(got));
  if (!matches) return absl::UnauthenticatedError("wrong token");
  return absl::OkStatus();
}

absl::Status CheckAuth(const grpc::ServerContextBase& ctx, const AuthPolicy& policy) {
  bool verified = false;
  if (policy.mtls) {
    std::shared_ptr<const grpc::AuthContext> auth = ctx.auth_context();
    // gRPC sets x509_pem_cert only for a client certificate; with mTLS the handshake has
    // already required and verified it against --tls-client-ca.
    verified = auth != nullptr && !auth->FindPropertyValues("x509_pem_cert").empty();
  }
  return CheckAuth(ctx.client_metadata(), ctx.peer(), verified, policy);
}

}  // namespace synth::service
