// File: master/service/auth.h
//
// The token check on every master RPC (the full auth/TLS story is issue 8): the caller sends
// metadata `authorization: Bearer <token>`; a master started with an empty token accepts only
// loopback peers.
//
//   absl::Status s = CheckAuth(ctx->client_metadata(), ctx->peer(), token);
//
// Thread-safe: pure functions. Tokens never appear in the returned messages.
#ifndef SYNTH_MASTER_SERVICE_AUTH_H_
#define SYNTH_MASTER_SERVICE_AUTH_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "grpcpp/support/string_ref.h"

namespace synth::service {

// True for a gRPC peer string on loopback ("ipv4:127.x.x.x:p", "ipv6:[::1]:p", "unix:...").
bool IsLoopbackPeer(std::string_view peer);

// OK when `metadata` carries the right bearer token, or `token` is empty and the peer is on
// loopback; UNAUTHENTICATED otherwise.
absl::Status CheckAuth(const std::multimap<grpc::string_ref, grpc::string_ref>& metadata,
                       std::string_view peer, std::string_view token);

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_AUTH_H_
