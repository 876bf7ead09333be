// File: proto/grpc_credentials.h
//
// The one place where the master's gRPC credentials are built, for both ends: the master's
// server credentials (TLS, optionally mTLS) and the client credentials of synth-worker and
// synthctl (TLS server verification, an optional client certificate, and the bearer token).
//
// The token travels as `authorization: Bearer <token>`. On a TLS channel it is attached by gRPC
// call credentials (a MetadataCredentialsPlugin composed with the SSL channel credentials), so
// every call on the channel carries it. gRPC refuses call credentials on insecure channels, so
// there the client adds it to each call's metadata itself (ApplyToContext); that is meant for
// loopback, where nothing is on the wire. Either way the token is asked of a TokenSource
// (token_file.h) at each call, so a token file rotated on disk is sent from the next call or
// stream on.
//
//   ASSIGN_OR_RETURN(ClientCredentials creds,
//                    MakeClientCredentials({.token = t, .ca_file = "ca.pem"}));
//   auto channel = grpc::CreateChannel("master:4650", creds.channel);
//   grpc::ClientContext ctx;
//   creds.ApplyToContext(&ctx);   // no-op on TLS channels
//
//   ASSIGN_OR_RETURN(auto server_creds, MakeServerCredentials({.cert_file = "m.pem",
//                                                              .key_file = "m.key"}));
//
// Files are read and parsed (PEM certificates and key, the key checked against the
// certificate) when the credentials are built, so bad paths or PEM fail at start-up with a clear
// INVALID_ARGUMENT instead of at the first handshake. Errors name files, never their contents;
// the token appears in no error, log or DebugString.
//
// Thread-safety: the functions are thread-safe; a ClientCredentials is immutable once built.
#ifndef SYNTH_PROTO_GRPC_CREDENTIALS_H_
#define SYNTH_PROTO_GRPC_CREDENTIALS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "proto/token_file.h"

namespace synth::proto {

// What a client of the master is configured with (flags --token, --tls-ca, --tls-cert,
// --tls-key of synth-worker and synthctl).
struct ClientCredentialOptions {
  std::string token;      // Bearer token; "" sends none.
  std::string token_file; // Or a token file: its first token, re-read at each call. Not both.
  std::string ca_file;    // PEM roots that sign the master's certificate; "" = insecure channel.
  std::string cert_file;  // PEM client certificate (chain) for mTLS; needs key_file and ca_file.
  std::string key_file;   // PEM private key of cert_file.
};

// Built client credentials: pass `channel` to grpc::CreateChannel / CreateCustomChannel, and
// call ApplyToContext on every call's context.
struct ClientCredentials {
  std::shared_ptr<grpc::ChannelCredentials> channel;
  bool tls = false;  // The channel is TLS (the token rides in call credentials).

  // Adds `authorization: Bearer <token>` to `ctx` on an insecure channel with a token; does
  // nothing on TLS channels (the call credentials already carry it) or without a token.
  void ApplyToContext(grpc::ClientContext* ctx) const;
  // Returns the token to send now ("" without one); reads a token file again.
  std::string Token() const { return token_source ? token_source->Token() : std::string(); }

  std::shared_ptr<TokenSource> token_source;  // Null without a token.
};

// Returns the client credentials for `options`; INVALID_ARGUMENT for inconsistent options
// (a cert without key, a client cert without a CA, a token and a token file) or unreadable /
// malformed PEM files; the token file's error when it cannot be read or holds no token.
absl::StatusOr<ClientCredentials> MakeClientCredentials(const ClientCredentialOptions& options);

// What the master is configured with (--tls-cert, --tls-key, --tls-client-ca).
struct ServerCredentialOptions {
  std::string cert_file;       // PEM server certificate (chain); "" = insecure (plaintext).
  std::string key_file;        // PEM private key of cert_file.
  std::string client_ca_file;  // PEM roots for client certificates: set = mTLS (required and
                               // verified on every connection). Needs cert_file.
};

// Returns the server credentials for `options` (insecure when cert_file is empty);
// INVALID_ARGUMENT as for MakeClientCredentials.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerCredentialOptions& options);

// Returns the call credentials that add `authorization: Bearer <token>` to every call, the
// token asked of `source` each time (only sent on TLS channels). Exposed for tests;
// MakeClientCredentials composes it.
std::shared_ptr<grpc::CallCredentials> BearerTokenCallCredentials(
    std::shared_ptr<TokenSource> source);

}  // namespace synth::proto

#endif  // SYNTH_PROTO_GRPC_CREDENTIALS_H_
