// stratum+ssl:// with certificate verification: a TLS front (self-signed certificate for
// 127.0.0.1, made here with OpenSSL) relays to synth-pool. The client connects and gets a share
// accepted when it trusts that certificate, and refuses the connection when it does not.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <thread>

#include "asio.hpp"
#include "asio/ssl.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stratum/harness.h"

namespace synth::stratum::testing {
namespace {

using asio::ip::tcp;

// Writes a self-signed certificate (SAN IP:127.0.0.1) and its key as PEM files.
void MakeCertificate(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("synth test pool"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  ASSERT_GT(X509_sign(x, key, EVP_sha256()), 0);
  FILE* f = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
}

// Accepts TLS connections and relays bytes to a plain TCP port (synth-pool).
class TlsFront {
 public:
  TlsFront(const std::string& cert, const std::string& key, int backend_port)
      : ctx_(asio::ssl::context::tls_server), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        backend_port_(backend_port) {
    ctx_.use_certificate_chain_file(cert);
    ctx_.use_private_key_file(key, asio::ssl::context::pem);
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsFront() {
    io_.stop();
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int handshakes_failed() const { return failed_.load(); }

 private:
  struct Pair {
    Pair(asio::io_context& io, asio::ssl::context& ctx) : tls(io, ctx), plain(io) {}
    asio::ssl::stream<tcp::socket> tls;
    tcp::socket plain;
    std::array<char, 8192> a, b;
  };
  void Accept() {
    auto p = std::make_shared<Pair>(io_, ctx_);
    acceptor_.async_accept(p->tls.next_layer(), [this, p](const asio::error_code& ec) {
      if (ec) return;
      Accept();
      p->tls.async_handshake(asio::ssl::stream_base::server, [this, p](const asio::error_code& ec2) {
        if (ec2) {
          ++failed_;
          return;
        }
        asio::error_code ec3;
        p->plain.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(backend_port_)}, ec3);
        if (ec3) return;
        Pump(p, true);
        Pump(p, false);
      });
    });
  }
  // Copies one direction until either side closes.
  void Pump(std::shared_ptr<Pair> p, bool from_tls) {
    auto on_read = [this, p, from_tls](const asio::error_code& ec, size_t n) {
      if (ec) return;
      auto on_write = [this, p, from_tls](const asio::error_code& ec2, size_t) {
        if (!ec2) Pump(p, from_tls);
      };
      if (from_tls) {
        asio::async_write(p->plain, asio::buffer(p->a, n), on_write);
      } else {
        asio::async_write(p->tls, asio::buffer(p->b, n), on_write);
      }
    };
    if (from_tls) {
      p->tls.async_read_some(asio::buffer(p->a), on_read);
    } else {
      p->plain.async_read_some(asio::buffer(p->b), on_read);
    }
  }

  asio::io_context io_;
  asio::ssl::context ctx_;
  tcp::acceptor acceptor_;
  int backend_port_;
  std::thread thread_;
  std::atomic<int> failed_{0};
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = ::testing::TempDir() + "/stratum_tls_cert.pem";
    key_ = ::testing::TempDir() + "/stratum_tls_key.pem";
    MakeCertificate(cert_, key_);
    pool_ = StartPool();
    front_ = std::make_unique<TlsFront>(cert_, key_, pool_->port());
  }
  std::string Url() const { return "stratum+ssl://127.0.0.1:" + std::to_string(front_->port()); }
  std::string cert_, key_;
  std::unique_ptr<pool::PoolServer> pool_;
  std::unique_ptr<TlsFront> front_;
};

TEST_F(TlsTest, TrustedCertificateConnectsAndSharesAreAccepted) {
  Miner miner;
  ClientOptions o = FastOptions({{Url(), "w", "x", 0}});
  o.tls.ca_file = cert_;
  absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(o, miner.Callbacks());
  ASSERT_TRUE(c.ok());
  (*c)->Start();
  ASSERT_TRUE(WaitFor([&] { return miner.job_count() > 0; }));
  EXPECT_EQ(Miner::SubmitAndWait(**c, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_EQ(pool_->Stats().accepted, 1u);
  (*c)->Stop();
}

TEST_F(TlsTest, UntrustedCertificateIsRefused) {
  Miner miner;
  absl::StatusOr<std::unique_ptr<Client>> c =
      Client::Create(FastOptions({{Url(), "w", "x", 0}}), miner.Callbacks());  // System trust only.
  ASSERT_TRUE(c.ok());
  (*c)->Start();
  ASSERT_TRUE(WaitFor([&] { return !(*c)->Status().last_error.empty(); }));
  EXPECT_THAT((*c)->Status().last_error, ::testing::HasSubstr("TLS handshake"));
  EXPECT_FALSE((*c)->Status().connected);
  EXPECT_EQ(pool_->Stats().connections, 0u);  // Nothing reached the pool.
  (*c)->Stop();
}

}  // namespace
}  // namespace synth::stratum::testing
