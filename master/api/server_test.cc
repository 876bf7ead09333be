#include "master/api/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "master/api/codes.h"
#include "master/api/test_snapshot.h"
#include "nlohmann/json.hpp"

namespace synth::api {
namespace {

using nlohmann::json;

// A client of the test's own: one TCP connection to 127.0.0.1:port.
class Client {
 public:
  explicit Client(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }

  // Sends all of `data`; false when the peer is gone.
  bool Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads until the server closes; false if it has not closed within `timeout`.
  bool ReadToEof(std::string* out, absl::Duration timeout = absl::Seconds(10)) {
    absl::Time deadline = absl::Now() + timeout;
    char buf[4096];
    while (absl::Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now())) + 1;
      if (poll(&p, 1, ms) <= 0) continue;
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) return true;  // EOF (or a reset): the server closed.
      out->append(buf, static_cast<size_t>(n));
    }
    return false;
  }

 private:
  int fd_;
  bool connected_ = false;
};

class ApiServerTest : public ::testing::Test {
 protected:
  void Start(ApiServerOptions o = {}) {
    if (o.listen.empty()) o.listen = "127.0.0.1:0";
    o.pool_user = "acct.rig";
    o.clock = &clock_;
    ApiBackend backend;
    backend.snapshot = [this] { return snap_; };
    backend.switch_pool = [this](const v1::SwitchPoolRequest& r) {
      switched_to_ = static_cast<int>(r.index());
      v1::SwitchPoolResponse out;
      out.set_index(r.index());
      return absl::StatusOr<v1::SwitchPoolResponse>(out);
    };
    absl::StatusOr<std::unique_ptr<ApiServer>> s = ApiServer::Start(o, std::move(backend));
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  // One request, the answer (NUL checked and stripped); "" when the server closed silently.
  std::string Ask(const std::string& request) {
    Client c(server_->port());
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.Send(request));
    std::string out;
    EXPECT_TRUE(c.ReadToEof(&out)) << "the server did not close after answering";
    if (out.empty()) return out;
    EXPECT_EQ(out.back(), '\0');
    return out.substr(0, out.size() - 1);
  }
  int StatusCode(const std::string& request) {
    return json::parse(Ask(request)).at("STATUS").at(0).at("Code").get<int>();
  }

  // Waits until `cond` holds, up to 10 s.
  template <typename F>
  bool WaitFor(F cond) {
    for (absl::Time end = absl::Now() + absl::Seconds(10); absl::Now() < end;) {
      if (cond()) return true;
      absl::SleepFor(absl::Milliseconds(5));
    }
    return cond();
  }

  FakeClock clock_{absl::FromUnixSeconds(1700000000)};
  ApiSnapshot snap_ = TestSnapshot();
  std::atomic<int> switched_to_{-1};
  std::unique_ptr<ApiServer> server_;
};

TEST_F(ApiServerTest, AnswersSummaryAndClosesTheConnection) {
  Start();
  json j = json::parse(Ask(R"({"command":"summary","parameter":""})"));
  EXPECT_EQ(j.at("STATUS").at(0).at("STATUS"), "S");
  EXPECT_EQ(j.at("STATUS").at(0).at("When"), 1700000000);
  EXPECT_EQ(j.at("SUMMARY").at(0).at("Accepted"), 90);
  EXPECT_EQ(j.at("id"), 1);
  json joined = json::parse(Ask(R"({"command":"summary+pools+devs","parameter":""})"));
  EXPECT_EQ(joined.at("devs").at(0).at("DEVS").size(), 4u);
  EXPECT_TRUE(absl::StartsWith(Ask("version"), "STATUS=S,When=1700000000,Code=22,"));
  EXPECT_EQ(server_->stats().answered, 3u);
}

TEST_F(ApiServerTest, BadInputGetsAnErrorStatusAndTheServerKeepsServing) {
  Start();
  EXPECT_EQ(StatusCode("{\"command\":\x01\x02\xff}"), kCodeInvalidJson);
  EXPECT_EQ(StatusCode(R"({"command":"rm -rf"})"), kCodeInvalidCommand);
  std::string text = Ask(std::string("\x00\x01garbage\xff", 11));
  EXPECT_TRUE(absl::StartsWith(text, "STATUS=E,")) << text;
  EXPECT_TRUE(absl::StrContains(text, "Code=14")) << text;
  // A client that connects and leaves; one that half-closes after a partial request gets the
  // answer to what it sent.
  { Client gone(server_->port()); }
  Client half(server_->port());
  ASSERT_TRUE(half.Send(R"({"command":"summ)"));
  half.ShutdownWrite();
  std::string partial;
  ASSERT_TRUE(half.ReadToEof(&partial));
  EXPECT_TRUE(absl::StrContains(partial, "\"Code\":23")) << partial;
  EXPECT_EQ(StatusCode(R"({"command":"summary"})"), kCodeSummary);
}

TEST_F(ApiServerTest, HugeRequestsAreAnsweredWithAnErrorNotRead) {
  Start();
  // 1 MiB of JSON that never ends: the answer comes once 4 KiB are in.
  std::string huge_json = "{\"command\":\"" + std::string(1 << 20, 'a');
  EXPECT_EQ(StatusCode(huge_json), kCodeInvalidJson);
  EXPECT_EQ(server_->stats().too_large, 1u);
  // 1 MiB of text: the first read is the request (over 4 KiB, or a shorter invalid command).
  std::string huge_text = Ask(std::string(1 << 20, 'x'));
  EXPECT_TRUE(absl::StartsWith(huge_text, "STATUS=E,")) << huge_text.substr(0, 200);
  EXPECT_TRUE(absl::StrContains(huge_text, "Code=14")) << huge_text.substr(0, 200);
  EXPECT_EQ(StatusCode(R"({"command":"version"})"), kCodeVersion);
}

TEST_F(ApiServerTest, SlowClientsAreDroppedAndDoNotBlockOthers) {
  ApiServerOptions o;
  o.request_timeout = absl::Milliseconds(300);
  Start(o);
  Client slow(server_->port());
  ASSERT_TRUE(slow.Send(R"({"command":"sum)"));  // ... and never the rest.
  // Others are served while it hangs.
  EXPECT_EQ(StatusCode(R"({"command":"summary"})"), kCodeSummary);
  std::string out;
  EXPECT_TRUE(slow.ReadToEof(&out)) << "the slow client was not dropped";
  EXPECT_EQ(out, "");  // Dropped without an answer.
  EXPECT_EQ(server_->stats().timed_out, 1u);
}

TEST_F(ApiServerTest, ConnectionsOverTheLimitAreClosedAtOnce) {
  ApiServerOptions o;
  o.max_connections = 2;
  o.request_timeout = absl::Seconds(30);
  Start(o);
  auto idle1 = std::make_unique<Client>(server_->port());
  auto idle2 = std::make_unique<Client>(server_->port());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections == 2; }));
  Client third(server_->port());
  std::string out;
  EXPECT_TRUE(third.ReadToEof(&out, absl::Seconds(5)));
  EXPECT_EQ(out, "");
  EXPECT_EQ(server_->stats().busy, 1u);
  idle1.reset();
  idle2.reset();
  // Their slots come back once the server sees them close.
  EXPECT_TRUE(WaitFor([&] {
    Client c(server_->port());
    std::string answer;
    return c.Send(R"({"command":"version"})") && c.ReadToEof(&answer) && !answer.empty();
  }));
}

TEST_F(ApiServerTest, AllowListRefusesAndGrantsWrite) {
  ApiServerOptions o;
  o.allow = "R:10.0.0.1";
  Start(o);
  EXPECT_EQ(Ask(R"({"command":"summary"})"), "");  // 127.0.0.1 is not on the list.
  EXPECT_EQ(server_->stats().refused, 1u);
  server_->Shutdown();

  o.allow = "";  // Everyone reads, nobody writes.
  Start(o);
  EXPECT_EQ(StatusCode(R"({"command":"switchpool","parameter":"1"})"), kCodeAccessDenied);
  EXPECT_EQ(switched_to_, -1);
  EXPECT_EQ(server_->stats().denied, 1u);
  server_->Shutdown();

  o.allow = "W:127.0.0.1";
  Start(o);
  EXPECT_EQ(StatusCode(R"({"command":"switchpool","parameter":"1"})"), kCodeSwitchPool);
  EXPECT_EQ(switched_to_, 1);
}

TEST_F(ApiServerTest, BadOptionsAreErrors) {
  ApiServerOptions o;
  o.listen = "nonsense";
  EXPECT_EQ(ApiServer::Start(o, {}).status().code(), absl::StatusCode::kInvalidArgument);
  o.listen = "999.1.1.1:0";
  EXPECT_EQ(ApiServer::Start(o, {}).status().code(), absl::StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:0";
  o.allow = "Q:1.2.3.4";
  EXPECT_EQ(ApiServer::Start(o, {}).status().code(), absl::StatusCode::kInvalidArgument);
  Start();
  o.allow = "";
  o.listen = "127.0.0.1:" + std::to_string(server_->port());
  EXPECT_EQ(ApiServer::Start(o, {}).status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(ApiServerTest, ShutdownEndsOpenConnections) {
  ApiServerOptions o;
  o.request_timeout = absl::Minutes(5);
  Start(o);
  Client idle(server_->port());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().connections == 1; }));
  absl::Time t0 = absl::Now();
  server_->Shutdown();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  std::string out;
  EXPECT_TRUE(idle.ReadToEof(&out, absl::Seconds(5)));
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace synth::api
