#include "proto/client_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/match.h"

ABSL_FLAG(std::string, tls_ca, "", "PEM CA of the master's certificate: connect with TLS");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate for mTLS (with --tls-key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, token_file, "",
          "Token file: its first token is sent, read again at each connect so a rotated file "
          "is picked up (env SYNTH_TOKEN_FILE; docs/SECURITY.md)");

namespace synth::proto {

ClientCredentialOptions ClientCredentialFlags() {
  ClientCredentialOptions o;
  o.token_file = absl::GetFlag(FLAGS_token_file);
  o.ca_file = absl::GetFlag(FLAGS_tls_ca);
  o.cert_file = absl::GetFlag(FLAGS_tls_cert);
  o.key_file = absl::GetFlag(FLAGS_tls_key);
  return o;
}

bool IsClientFlagsFile(absl::string_view filename) {
  return absl::EndsWith(filename, "proto/client_flags.cc");
}

}  // namespace synth::proto
