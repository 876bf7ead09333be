// File: master/service/auth.h
//
// Who may talk to the master (docs/SECURITY.md). Every RPC is checked: the caller sends
// metadata `authorization: Bearer <token>` (call credentials on TLS, plain metadata on insecure
// loopback channels), and/or presents a client certificate the TLS handshake verified (mTLS).
// A master with neither accepts only loopback peers, unless started with --insecure.
//
//   AuthPolicy policy{.token = token, .mtls = !client_ca.empty()};
//   RETURN_IF_ERROR(CheckListenPolicy(listen, policy));        // at start-up
//   absl::Status s = CheckAuth(*ctx, policy);                   // in every handler
//
// Token rotation (docs/SECURITY.md): `AuthPolicy::tokens` is a TokenSet that token_watch.h
// replaces when the token file changes; every token in it is accepted. A call is checked when
// it starts, so a worker stream opened with a token stays up after that token is removed and is
// refused at its next connect.
//
// Thread-safe. Tokens never appear in the returned messages.
#ifndef SYNTH_MASTER_SERVICE_AUTH_H_
#define SYNTH_MASTER_SERVICE_AUTH_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/string_ref.h"

namespace synth::service {

// The bearer tokens a master accepts, replaced whole at run time (a rotated token file).
// Never empty once built with tokens: Replace refuses an empty list. Thread-safe.
class TokenSet {
 public:
  explicit TokenSet(std::vector<std::string> tokens = {});
  // Accepts `tokens` from now on; false (nothing changes) when the list is empty.
  bool Replace(std::vector<std::string> tokens);
  // True when `token` is one of the set (each compared in constant time).
  bool Contains(std::string_view token) const;
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> tokens_ ABSL_GUARDED_BY(mu_);
};

// How the master authenticates its peers.
struct AuthPolicy {
  std::string token;      // Required bearer token; "" = none.
  // Or every token of this set (--token-file); null or empty = none. With both, either works.
  std::shared_ptr<const TokenSet> tokens;
  bool mtls = false;      // The TLS handshake requires and verifies a client certificate.
  bool insecure = false;  // --insecure: accept peers with no token or certificate from anywhere.

  // True when a token is required.
  bool has_token() const { return !token.empty() || (tokens != nullptr && tokens->size() > 0); }
};

// True for a gRPC peer string on loopback ("ipv4:127.x.x.x:p", "ipv6:[::1]:p", "unix:...").
bool IsLoopbackPeer(std::string_view peer);

// True for a listen address that only loopback peers can reach ("127.0.0.1:4650",
// "localhost:4650", "[::1]:4650", "unix:..."); false for "0.0.0.0:4650", "[::]:4650", hosts.
bool IsLoopbackListenAddress(std::string_view listen);

// OK unless `listen` is reachable from other hosts while `policy` authenticates nobody (no
// token, no mTLS, no --insecure): then FAILED_PRECONDITION explaining the choices.
absl::Status CheckListenPolicy(std::string_view listen, const AuthPolicy& policy);

// OK when the caller may use the master: with a token, the metadata carries it (and with mTLS
// the handshake verified a certificate as well); with mTLS alone, the peer's certificate was
// verified; with neither, the peer is on loopback or the policy is insecure. UNAUTHENTICATED
// otherwise. `peer_cert_verified`: the handshake verified a client certificate.
absl::Status CheckAuth(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                       std::string_view peer, bool peer_cert_verified, const AuthPolicy& policy);

// CheckAuth for a live call (metadata, peer and certificate from `ctx`).
absl::Status CheckAuth(const grpc::ServerContextBase& ctx, const AuthPolicy& policy);

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_AUTH_H_
