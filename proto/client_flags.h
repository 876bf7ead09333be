// File: proto/client_flags.h
//
// The credential flags of every gRPC client of the master (synth-worker, synthctl), defined
// once:
//   --tls-ca      PEM CA of the master's certificate; set = TLS, "" = plaintext
//   --tls-cert    PEM client certificate for mTLS (with --tls-key)
//   --tls-key     PEM private key of --tls-cert
//   --token-file  token file (proto/token_file.h): its first token, re-read at each connect
// They fill ClientCredentialOptions (proto/grpc_credentials.h); --token stays with each binary
// (its help text differs). Link synth_proto_client_flags; synth-master must not (its server
// --tls-cert/--tls-key and its --token-file, which accepts every token listed, are its own).
//
//   ClientCredentialOptions o = ClientCredentialFlags();
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
ABSL_DECLARE_FLAG(std::string, token_file);

namespace synth::proto {

// ClientCredentialOptions with the files from --tls-ca, --tls-cert, --tls-key and --token-file
// (no token).
ClientCredentialOptions ClientCredentialFlags();

// True for the source file defining these flags: lets a binary's --help filter (absl lists the
// flags of the files it accepts) keep showing them.
bool IsClientFlagsFile(absl::string_view filename);

}  // namespace synth::proto

#endif  // SYNTH_PROTO_CLIENT_FLAGS_H_
