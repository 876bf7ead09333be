// Real TLS on the master's gRPC server (docs/SECURITY.md): a throwaway CA, a server certificate
// for 127.0.0.1/localhost and client certificates are made with the openssl CLI in a temp dir at
// test time; the tests check token and mTLS authentication over real handshakes on loopback.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "master/service/server.h"
#include "master/service/test_master.h"
#include "proto/grpc_credentials.h"
#include "synth/v1/control.grpc.pb.h"

namespace synth::service {
namespace {

namespace fs = std::filesystem;

// Runs a shell command; true on exit status 0.
bool Sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()) == 0; }

// Makes CA `name` (name.pem/.key) and, signed by it, leaf `leaf` (leaf.pem/.key) in `dir`.
bool MakeCaAndLeaf(const fs::path& dir, const std::string& ca, const std::string& leaf,
                   bool server) {
  const std::string d = dir.string();
  const std::string ext = server ? "subjectAltName=IP:127.0.0.1,DNS:localhost"
                                 : "extendedKeyUsage=clientAuth";
  return (fs::exists(dir / (ca + ".pem")) ||
          Sh(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=", ca,
                          " -keyout ", d, "/", ca, ".key -out ", d, "/", ca, ".pem"))) &&
         Sh(absl::StrCat("openssl req -newkey rsa:2048 -nodes -subj /CN=", leaf, " -keyout ", d,
                         "/", leaf, ".key -out ", d, "/", leaf, ".csr")) &&
         Sh(absl::StrCat("printf '", ext, "\\n' > ", d, "/", leaf, ".ext && openssl x509 -req",
                         " -days 1 -in ", d, "/", leaf, ".csr -CA ", d, "/", ca, ".pem -CAkey ",
                         d, "/", ca, ".key -CAcreateserial -extfile ", d, "/", leaf, ".ext -out ",
                         d, "/", leaf, ".pem"));
}

class TlsGrpcTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() /
                        absl::StrCat("synth_tls_test_", ::getpid()));
    fs::create_directories(*dir_);
    ok_ = MakeCaAndLeaf(*dir_, "ca", "server", true) &&
          MakeCaAndLeaf(*dir_, "ca", "client", false) &&
          MakeCaAndLeaf(*dir_, "otherca", "stranger", false);
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }
  static std::string F(const std::string& name) { return (*dir_ / name).string(); }

  void SetUp() override { ASSERT_TRUE(ok_) << "openssl could not make the test certificates"; }

  // Starts the master with TLS, `token` and (if `mtls`) required client certificates.
  void StartServer(const std::string& token, bool mtls) {
    MasterServer::Options so;
    so.auth.token = token;
    so.tls = {F("server.pem"), F("server.key"), mtls ? F("ca.pem") : ""};
    absl::Status s = master_.Start(so);
    ASSERT_TRUE(s.ok()) << s;
    server_ = master_.server.get();
  }

  // Calls Control.Status with `opts`; fills *resp.
  grpc::Status CallStatus(const proto::ClientCredentialOptions& opts, v1::StatusResponse* resp,
                          const std::string& host = "127.0.0.1") {
    absl::StatusOr<proto::ClientCredentials> creds = proto::MakeClientCredentials(opts);
    EXPECT_TRUE(creds.ok()) << creds.status();
    if (!creds.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, "creds");
    auto channel = grpc::CreateChannel(absl::StrCat(host, ":", server_->port()), creds->channel);
    auto stub = v1::ControlService::NewStub(channel);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    creds->ApplyToContext(&ctx);
    return stub->Status(&ctx, v1::StatusRequest(), resp);
  }

  static fs::path* dir_;
  static bool ok_;
  TestMaster master_;
  MasterServer* server_ = nullptr;
};
fs::path* TlsGrpcTest::dir_ = nullptr;
bool TlsGrpcTest::ok_ = false;

constexpr char kToken[] = "tls-test-token-7f3a9c";

TEST_F(TlsGrpcTest, RightTokenOverTlsIsServed) {
  StartServer(kToken, false);
  v1::StatusResponse resp;
  grpc::Status s = CallStatus({.token = kToken, .ca_file = F("ca.pem")}, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(CallStatus({.token = kToken, .ca_file = F("ca.pem")}, &resp, "localhost").ok());
}

TEST_F(TlsGrpcTest, WrongTokenIsUnauthenticatedWithAClearMessageAndNoData) {
  StartServer(kToken, false);
  v1::StatusResponse resp;
  grpc::Status s = CallStatus({.token = "not-the-token", .ca_file = F("ca.pem")}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("wrong token"), std::string::npos) << s.error_message();
  EXPECT_EQ(s.error_message().find(kToken), std::string::npos);
  EXPECT_EQ(resp.ByteSizeLong(), 0u);
  s = CallStatus({.ca_file = F("ca.pem")}, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_NE(s.error_message().find("missing authorization"), std::string::npos);
}

TEST_F(TlsGrpcTest, ATokenFileIsReadAgainAtEachCallOverTls) {
  StartServer(kToken, false);
  const std::string path = F("token_file");
  std::ofstream(path, std::ios::trunc) << "not-the-token\n";
  absl::StatusOr<proto::ClientCredentials> creds =
      proto::MakeClientCredentials({.token_file = path, .ca_file = F("ca.pem")});
  ASSERT_TRUE(creds.ok()) << creds.status();
  auto stub = v1::ControlService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", server_->port()), creds->channel));
  auto call = [&] {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::StatusResponse resp;
    return stub->Status(&ctx, v1::StatusRequest(), &resp).error_code();
  };
  EXPECT_EQ(call(), grpc::StatusCode::UNAUTHENTICATED);
  // The call credentials ask the file again: the same channel now sends the right token.
  std::ofstream(path, std::ios::trunc) << kToken << "\n";
  EXPECT_EQ(call(), grpc::StatusCode::OK);
}

TEST_F(TlsGrpcTest, PlaintextClientToTlsServerFails) {
  StartServer(kToken, false);
  v1::StatusResponse resp;
  grpc::Status s = CallStatus({.token = kToken}, &resp);  // no CA: insecure channel
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(resp.ByteSizeLong(), 0u);
}

TEST_F(TlsGrpcTest, ServerCertFromAnotherCaIsRejectedByTheClient) {
  StartServer(kToken, false);
  v1::StatusResponse resp;
  EXPECT_EQ(CallStatus({.token = kToken, .ca_file = F("otherca.pem")}, &resp).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsGrpcTest, MtlsAcceptsAClientCertFromItsCa) {
  StartServer("", true);
  v1::StatusResponse resp;
  grpc::Status s = CallStatus(
      {.ca_file = F("ca.pem"), .cert_file = F("client.pem"), .key_file = F("client.key")}, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(TlsGrpcTest, MtlsRefusesAClientWithoutCert) {
  StartServer("", true);
  v1::StatusResponse resp;
  EXPECT_FALSE(CallStatus({.ca_file = F("ca.pem")}, &resp).ok());
  EXPECT_EQ(resp.ByteSizeLong(), 0u);
}

TEST_F(TlsGrpcTest, MtlsRefusesAClientCertFromAnotherCa) {
  StartServer("", true);
  v1::StatusResponse resp;
  EXPECT_FALSE(CallStatus({.ca_file = F("ca.pem"), .cert_file = F("stranger.pem"),
                           .key_file = F("stranger.key")},
                          &resp)
                   .ok());
  EXPECT_EQ(resp.ByteSizeLong(), 0u);
}

TEST_F(TlsGrpcTest, MtlsWithTokenNeedsBoth) {
  StartServer(kToken, true);
  v1::StatusResponse resp;
  const proto::ClientCredentialOptions with_cert = {
      .token = kToken, .ca_file = F("ca.pem"), .cert_file = F("client.pem"),
      .key_file = F("client.key")};
  EXPECT_TRUE(CallStatus(with_cert, &resp).ok());
  proto::ClientCredentialOptions wrong = with_cert;
  wrong.token = "nope";
  EXPECT_EQ(CallStatus(wrong, &resp).error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST(ListenPolicyTest, NonLoopbackWithoutAuthIsRefusedNamingInsecure) {
  absl::Status s = CheckListenPolicy("0.0.0.0:4650", AuthPolicy{});
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("--insecure"), std::string::npos) << s.message();
  EXPECT_TRUE(CheckListenPolicy("0.0.0.0:4650", AuthPolicy{.insecure = true}).ok());
  EXPECT_TRUE(CheckListenPolicy("0.0.0.0:4650", AuthPolicy{.token = "t"}).ok());
  EXPECT_TRUE(CheckListenPolicy("0.0.0.0:4650", AuthPolicy{.mtls = true}).ok());
  EXPECT_TRUE(CheckListenPolicy("127.0.0.1:4650", AuthPolicy{}).ok());
}

TEST(ListenPolicyTest, MasterServerRefusesToListenOnAllAddressesWithoutAuth) {
  RealClock clock;
  jobs::FakeUpstream upstream;
  Cluster cluster(Cluster::Options{}, &clock, &upstream);
  MasterServer::Options so;
  so.listen = "0.0.0.0:0";
  absl::StatusOr<std::unique_ptr<MasterServer>> s = MasterServer::Start(so, &cluster);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.status().message().find("--insecure"), std::string::npos) << s.status();
  so.auth.insecure = true;
  s = MasterServer::Start(so, &cluster);
  ASSERT_TRUE(s.ok()) << s.status();
  (*s)->Shutdown();
  cluster.Shutdown();
}

}  // namespace
}  // namespace synth::service
