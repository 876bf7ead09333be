#include "proto/grpc_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <iterator>
#include <map>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file.h"

namespace synth::proto {
namespace {

// Returns the contents of a PEM file (`what` names the flag in errors); INVALID_ARGUMENT when
// it cannot be read.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, what);
  if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
  return text;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

BioPtr MemBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// A passphrase callback that refuses, so OpenSSL never prompts on a terminal for an encrypted
// key (the master and workers run unattended).
int NoPassphrase(char*, int, int, void*) { return -1; }

// Returns the first certificate of a PEM file's text; INVALID_ARGUMENT when it holds none.
absl::StatusOr<X509Ptr> ParseCertificates(const std::string& pem, const std::string& path,
                                          absl::string_view what) {
  BioPtr bio = MemBio(pem);
  X509Ptr first(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (first == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": '", path, "' holds no PEM certificate (BEGIN CERTIFICATE)"));
  }
  return first;
}

absl::StatusOr<PkeyPtr> ParseKey(const std::string& pem, const std::string& path,
                                 absl::string_view what) {
  BioPtr bio = MemBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": '", path, "' holds no unencrypted PEM private key (BEGIN PRIVATE KEY)"));
  }
  return key;
}

// Reads and checks a certificate chain and its key; returns the pair gRPC takes.
absl::StatusOr<std::pair<std::string, std::string>> LoadKeyCertPair(const std::string& cert_file,
                                                                    const std::string& key_file,
                                                                    absl::string_view cert_flag,
                                                                    absl::string_view key_flag) {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(cert_flag, " and ", key_flag, " must be given together"));
  }
  absl::StatusOr<std::string> cert_pem = ReadPemFile(cert_file, cert_flag);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = ReadPemFile(key_file, key_flag);
  if (!key_pem.ok()) return key_pem.status();
  absl::StatusOr<X509Ptr> cert = ParseCertificates(*cert_pem, cert_file, cert_flag);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<PkeyPtr> key = ParseKey(*key_pem, key_file, key_flag);
  if (!key.ok()) return key.status();
  int match = X509_check_private_key(cert->get(), key->get());
  ERR_clear_error();
  if (match != 1) {
    return absl::InvalidArgumentError(absl::StrCat(key_flag, " '", key_file, "' is not the key of ",
                                                   cert_flag, " '", cert_file, "'"));
  }
  return std::make_pair(*std::move(cert_pem), *std::move(key_pem));
}

// Reads a file of PEM root certificates (a CA bundle).
absl::StatusOr<std::string> LoadRoots(const std::string& path, absl::string_view what) {
  absl::StatusOr<std::string> pem = ReadPemFile(path, what);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<X509Ptr> first = ParseCertificates(*pem, path, what);
  if (!first.ok()) return first.status();
  return pem;
}

class BearerTokenPlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit BearerTokenPlugin(std::shared_ptr<TokenSource> source) : source_(std::move(source)) {}

  // A token file is read at each call: gRPC then runs the plugin off its event threads.
  bool IsBlocking() const override { return source_->from_file(); }
  const char* GetType() const override { return "synth-bearer-token"; }
  grpc::Status GetMetadata(grpc::string_ref, grpc::string_ref, const grpc::AuthContext&,
                           std::multimap<std::string, std::string>* metadata) override {
    std::string token = source_->Token();
    if (!token.empty()) metadata->emplace("authorization", absl::StrCat("Bearer ", token));
    return grpc::Status::OK;
  }
  // gRPC may print this in traces: never the token.
  std::string DebugString() override { return "synth bearer token (redacted)"; }

 private:
  const std::shared_ptr<TokenSource> source_;
};

// The token source of `options`: null without a token; INVALID_ARGUMENT for both kinds.
absl::StatusOr<std::shared_ptr<TokenSource>> MakeTokenSource(
    const ClientCredentialOptions& options) {
  if (!options.token.empty() && !options.token_file.empty()) {
    return absl::InvalidArgumentError("give --token or --token-file, not both");
  }
  if (!options.token_file.empty()) return TokenSource::FromFile(options.token_file);
  if (options.token.empty()) return std::shared_ptr<TokenSource>();
  return std::make_shared<TokenSource>(options.token);
}

}  // namespace

void ClientCredentials::ApplyToContext(grpc::ClientContext* ctx) const {
  if (tls) return;
  std::string token = Token();
  if (!token.empty()) ctx->AddMetadata("authorization", absl::StrCat("Bearer ", token));
}

std::shared_ptr<grpc::CallCredentials> BearerTokenCallCredentials(
    std::shared_ptr<TokenSource> source) {
  return grpc::MetadataCredentialsFromPlugin(std::make_unique<BearerTokenPlugin>(std::move(source)));
}

absl::StatusOr<ClientCredentials> MakeClientCredentials(const ClientCredentialOptions& options) {
  ClientCredentials out;
  absl::StatusOr<std::shared_ptr<TokenSource>> source = MakeTokenSource(options);
  if (!source.ok()) return source.status();
  out.token_source = *std::move(source);
  if (options.ca_file.empty()) {
    if (!options.cert_file.empty() || !options.key_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls-cert/--tls-key need --tls-ca (the CA that signed the master's certificate)");
    }
    out.channel = grpc::InsecureChannelCredentials();
    return out;
  }
  grpc::SslCredentialsOptions ssl;
  absl::StatusOr<std::string> roots = LoadRoots(options.ca_file, "--tls-ca");
  if (!roots.ok()) return roots.status();
  ssl.pem_root_certs = *std::move(roots);
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    absl::StatusOr<std::pair<std::string, std::string>> pair =
        LoadKeyCertPair(options.cert_file, options.key_file, "--tls-cert", "--tls-key");
    if (!pair.ok()) return pair.status();
    ssl.pem_cert_chain = std::move(pair->first);
    ssl.pem_private_key = std::move(pair->second);
  }
  out.tls = true;
  out.channel = grpc::SslCredentials(ssl);
  if (out.token_source != nullptr) {
    out.channel = grpc::CompositeChannelCredentials(out.channel,
                                                    BearerTokenCallCredentials(out.token_source));
  }
  return out;
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const ServerCredentialOptions& options) {
  if (options.cert_file.empty() && options.key_file.empty()) {
    if (!options.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls-client-ca (mTLS) needs --tls-cert and --tls-key (TLS on the master)");
    }
    return grpc::InsecureServerCredentials();
  }
  absl::StatusOr<std::pair<std::string, std::string>> pair =
      LoadKeyCertPair(options.cert_file, options.key_file, "--tls-cert", "--tls-key");
  if (!pair.ok()) return pair.status();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({std::move(pair->second), std::move(pair->first)});
  if (!options.client_ca_file.empty()) {
    absl::StatusOr<std::string> roots = LoadRoots(options.client_ca_file, "--tls-client-ca");
    if (!roots.ok()) return roots.status();
    ssl.pem_root_certs = *std::move(roots);
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace synth::proto
