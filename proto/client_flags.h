// File: proto/client_flags.h
//
// The TLS flags of every gRPC client of the master (synth-worker, synthctl), defined once:
//   --tls-ca    PEM CA of the master's certificate; set = TLS, "" = plaintext
//   --tls-cert  PEM client certificate for mTLS (with --tls-key)
//   --tls-key   PEM private key of --tls-cert
// They fill ClientCredentialOptions (proto/grpc_credentials.h); the token flags stay with each
// binary (their help texts differ). Link synth_proto_client_flags; synth-master must not (its
// server --tls-cert/--tls-key are its own flags).
//
//   ClientCredentialOptions o = ClientTlsFlags();
//   o.token = token;
#ifndef SYNTH_PROTO_CLIENT_FLAGS_H_
#define SYNTH_PROTO_CLIENT_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"
#include "absl/strings/string_view.h"
#include "proto/grpc_credentials.h"

ABSL_DECLARE_FLAG(std::string, tls_ca);
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);

namespace synth::proto {

// ClientCredentialOptions with the files from --tls-ca, --tls-cert and --tls-key (no token).
ClientCredentialOptions ClientTlsFlags();

// True for the source file defining these flags: lets a binary's --help filter (absl lists the
// flags of the files it accepts) keep showing them.
bool IsClientFlagsFile(absl::string_view filename);

}  // namespace synth::proto

#endif  // SYNTH_PROTO_CLIENT_FLAGS_H_
