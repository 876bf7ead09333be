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
// Thread-safe: pure functions. Tokens never appear in the returned messages.
#ifndef SYNTH_MASTER_SERVICE_AUTH_H_
#define SYNTH_MASTER_SERVICE_AUTH_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/string_ref.h"

namespace synth::service {

// How the master authenticates its peers.
struct AuthPolicy {
  std::string token;      // Required bearer token; "" = none.
  bool mtls = false;      // The TLS handshake requires and verifies a client certificate.
  bool insecure = false;  // --insecure: accept peers with no token or certificate from anywhere.
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
