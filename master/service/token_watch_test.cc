// Token rotation on the master (token_watch.h): the watch follows its file, and a real
// MasterServer on loopback accepts every listed token, keeps streams opened with a removed one
// and refuses them at their next connect; a client's token file is read again at each call.
#include "master/service/token_watch.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "master/service/test_master.h"
#include "proto/grpc_credentials.h"
#include "synth/v1/control.grpc.pb.h"
#include "synth/v1/worker.grpc.pb.h"

namespace synth::service {
namespace {

namespace fs = std::filesystem;

constexpr char kOld[] = "old-token-1b2c";
constexpr char kNew[] = "new-token-9f8e";

class TokenWatchTest : public ::testing::Test {
 protected:
  TokenWatchTest()
      : dir_(fs::temp_directory_path() /
             absl::StrCat("synth_token_watch_", getpid(), "_",
                          ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    fs::create_directories(dir_);
  }
  ~TokenWatchTest() override { fs::remove_all(dir_); }

  // Writes `text` to `name` in place (truncate and write, as `echo > file` does).
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::trunc) << text;
    return path;
  }
  // Writes `text` to a temporary file and renames it over `name` (editors, Kubernetes).
  void Replace(const std::string& name, const std::string& text) {
    Write(name + ".tmp", text);
    fs::rename(dir_ / (name + ".tmp"), dir_ / name);
  }
  template <typename F>
  static bool WaitFor(F cond) {
    for (absl::Time end = absl::Now() + absl::Seconds(10); absl::Now() < end;) {
      if (cond()) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return cond();
  }

  void StartMaster(std::shared_ptr<const TokenSet> tokens) {
    MasterServer::Options so;
    so.auth.tokens = std::move(tokens);
    absl::Status s = master_.Start(so);
    ASSERT_TRUE(s.ok()) << s;
    channel_ = grpc::CreateChannel(master_.address(), grpc::InsecureChannelCredentials());
  }
  // Control.Status with the credentials of `opts`.
  grpc::StatusCode CallStatus(const proto::ClientCredentials& creds) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    creds.ApplyToContext(&ctx);
    v1::StatusResponse resp;
    return v1::ControlService::NewStub(channel_)->Status(&ctx, {}, &resp).error_code();
  }

  const fs::path dir_;
  TestMaster master_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(TokenWatchTest, StartNeedsAReadableFileWithAToken) {
  EXPECT_EQ(TokenWatch::Start((dir_ / "missing").string()).status().code(),
            absl::StatusCode::kNotFound);
  std::string comments = Write("comments", "# no token here\n\n");
  EXPECT_EQ(TokenWatch::Start(comments).status().code(), absl::StatusCode::kInvalidArgument);
  std::string two = Write("two", absl::StrCat("# rotation\n", kOld, "\n  ", kNew, "  \n"));
  absl::StatusOr<std::unique_ptr<TokenWatch>> w = TokenWatch::Start(two);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->tokens()->size(), 2u);
  EXPECT_TRUE((*w)->tokens()->Contains(kOld));
  EXPECT_TRUE((*w)->tokens()->Contains(kNew));
  EXPECT_FALSE((*w)->tokens()->Contains("old-token"));  // A prefix is not the token.
}

TEST_F(TokenWatchTest, ReloadRotatesAndABadFileChangesNothing) {
  std::string path = Write("tokens", kOld);
  absl::StatusOr<std::unique_ptr<TokenWatch>> w = TokenWatch::Start(path);
  ASSERT_TRUE(w.ok()) << w.status();
  (*w)->Stop();  // Reloads by hand only.
  Write("tokens", absl::StrCat(kOld, "\n", kNew, "\n"));
  absl::StatusOr<TokenReload> r = (*w)->Reload("test");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(r->added, 1u);
  EXPECT_EQ(r->removed, 0u);
  Write("tokens", kNew);
  r = (*w)->Reload("test");
  EXPECT_EQ(r->removed, 1u);
  EXPECT_FALSE((*w)->tokens()->Contains(kOld));
  EXPECT_FALSE((*w)->Reload("test")->changed);  // Same tokens: no rotation.
  EXPECT_EQ((*w)->rotations(), 2);
  // Empty, invalid, missing: an error, and the tokens stay (no lock-out mid-write).
  Write("tokens", "");
  EXPECT_FALSE((*w)->Reload("test").ok());
  Write("tokens", "two words\n");
  EXPECT_FALSE((*w)->Reload("test").ok());
  fs::remove(dir_ / "tokens");
  EXPECT_EQ((*w)->Reload("test").status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE((*w)->tokens()->Contains(kNew));
  EXPECT_EQ((*w)->tokens()->size(), 1u);
}

TEST_F(TokenWatchTest, ChangesOnDiskAreSeenWithoutASignal) {
  std::string path = Write("tokens", kOld);
  absl::StatusOr<std::unique_ptr<TokenWatch>> w = TokenWatch::Start(path);
  ASSERT_TRUE(w.ok()) << w.status();
  std::shared_ptr<const TokenSet> tokens = (*w)->tokens();
  Replace("tokens", absl::StrCat(kOld, "\n", kNew));  // New file renamed over the old one.
  EXPECT_TRUE(WaitFor([&] { return tokens->Contains(kNew); }));
  Write("tokens", kNew);  // Rewritten in place.
  EXPECT_TRUE(WaitFor([&] { return !tokens->Contains(kOld); }));
  Write("unrelated", "x");  // Another file of the directory: nothing changes.
  EXPECT_TRUE(tokens->Contains(kNew));
  EXPECT_EQ(tokens->size(), 1u);
  (*w)->Stop();
}

TEST_F(TokenWatchTest, WritesThroughAnotherPathAreSeen) {
  // A compose secret is the host's file bind-mounted into the container: writes come through
  // a path outside the watched directory. A hard link elsewhere stands for that here.
  fs::create_directories(dir_ / "watched");
  fs::create_directories(dir_ / "host");
  std::string path = Write("watched/tokens", kOld);
  fs::create_hard_link(path, dir_ / "host" / "tokens");
  absl::StatusOr<std::unique_ptr<TokenWatch>> w = TokenWatch::Start(path);
  ASSERT_TRUE(w.ok()) << w.status();
  Write("host/tokens", kNew);
  EXPECT_TRUE(WaitFor([&] { return (*w)->tokens()->Contains(kNew); }));
  EXPECT_FALSE((*w)->tokens()->Contains(kOld));
}

TEST_F(TokenWatchTest, StreamsKeepRemovedTokensUntilTheyReconnect) {
  std::string path = Write("tokens", kOld);
  absl::StatusOr<std::unique_ptr<TokenWatch>> w = TokenWatch::Start(path);
  ASSERT_TRUE(w.ok()) << w.status();
  (*w)->Stop();
  StartMaster((*w)->tokens());
  auto stub = v1::WorkerService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", kOld));
  auto stream = stub->Connect(&ctx);
  v1::WorkerMessage hello;
  hello.mutable_hello()->set_worker_id("rot-1");
  hello.mutable_hello()->set_protocol_version(1);
  hello.mutable_hello()->add_devices()->set_name("cpu0");
  ASSERT_TRUE(stream->Write(hello));
  v1::MasterMessage in;
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_TRUE(in.has_welcome());

  // The old token leaves the file: the open stream is not dropped, it still gets work.
  Write("tokens", kNew);
  ASSERT_TRUE((*w)->Reload("test").ok());
  v1::WorkerMessage req;
  req.mutable_lease_request()->set_hashes_wanted(1 << 20);
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&in));
  EXPECT_TRUE(in.has_lease_grant());
  // Its next connect with that token is refused.
  grpc::ClientContext again;
  again.AddMetadata("authorization", absl::StrCat("Bearer ", kOld));
  auto refused = stub->Connect(&again);
  refused->Write(hello);
  EXPECT_FALSE(refused->Read(&in));
  grpc::Status s = refused->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message().find(kOld), std::string::npos);
  stream->WritesDone();
  while (stream->Read(&in)) {
  }
}

TEST_F(TokenWatchTest, AClientTokenFileIsReadAgainAtEachCall) {
  std::string master = Write("master", absl::StrCat(kOld, "\n", kNew));
  absl::StatusOr<std::unique_ptr<TokenWatch>> w = TokenWatch::Start(master);
  ASSERT_TRUE(w.ok()) << w.status();
  (*w)->Stop();
  StartMaster((*w)->tokens());
  std::string client = Write("client", absl::StrCat(kOld, "\n"));
  absl::StatusOr<proto::ClientCredentials> creds =
      proto::MakeClientCredentials({.token_file = client});
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(CallStatus(*creds), grpc::StatusCode::OK);
  Write("master", kNew);
  ASSERT_TRUE((*w)->Reload("test").ok());
  EXPECT_EQ(CallStatus(*creds), grpc::StatusCode::UNAUTHENTICATED);
  Write("client", absl::StrCat("# rotated\n", kNew, "\n", kOld, "\n"));  // The first one is sent.
  EXPECT_EQ(CallStatus(*creds), grpc::StatusCode::OK);
  // A client file that breaks keeps its last token.
  fs::remove(dir_ / "client");
  EXPECT_EQ(CallStatus(*creds), grpc::StatusCode::OK);
  EXPECT_EQ(creds->token_source->last_error().code(), absl::StatusCode::kNotFound);
  // Both a token and a token file: refused when the credentials are built.
  EXPECT_EQ(proto::MakeClientCredentials({.token = "x", .token_file = master}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace synth::service
