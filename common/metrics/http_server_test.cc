#include "common/metrics/http_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace synth::metrics {
namespace {

std::unique_ptr<HttpServer> StartTestServer(std::atomic<int>* calls) {
  absl::StatusOr<std::unique_ptr<HttpServer>> s =
      HttpServer::Start("127.0.0.1:0", {{"/ok",
                                         [calls] {
                                           ++*calls;
                                           return HttpResponse{200, "text/plain", "fine\n"};
                                         }},
                                        {"/down", [] {
                                           return HttpResponse{503, "text/plain", "pool down\n"};
                                         }}});
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

TEST(HttpServer, ServesRoutesWithStatusAndBody) {
  std::atomic<int> calls{0};
  std::unique_ptr<HttpServer> s = StartTestServer(&calls);
  ASSERT_NE(s, nullptr);
  ASSERT_GT(s->port(), 0);
  httplib::Client c("127.0.0.1", s->port());
  httplib::Result r = c.Get("/ok");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "fine\n");
  EXPECT_EQ(r->get_header_value("Cache-Control"), "no-store");
  r = c.Get("/down");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, "pool down\n");
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServer, UnknownPathsMethodsAndHugeRequestsGetErrors) {
  std::atomic<int> calls{0};
  std::unique_ptr<HttpServer> s = StartTestServer(&calls);
  ASSERT_NE(s, nullptr);
  httplib::Client c("127.0.0.1", s->port());
  for (const char* path : {"/", "/okx", "/ok/", "/o.", "/../etc/passwd", "/ok?x=1"}) {
    httplib::Result r = c.Get(path);
    ASSERT_TRUE(r) << path;
    if (std::string(path) == "/ok?x=1") {
      EXPECT_EQ(r->status, 200) << path;  // Query strings are ignored.
    } else {
      EXPECT_EQ(r->status, 404) << path;
    }
  }
  httplib::Result post = c.Post("/ok", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  httplib::Result big = c.Post("/ok", std::string(1 << 20, 'a'), "text/plain");
  EXPECT_TRUE(!big || big->status == 413 || big->status == 405);
  httplib::Result long_uri = c.Get("/" + std::string(20000, 'a'));
  EXPECT_TRUE(!long_uri || long_uri->status == 414 || long_uri->status == 400);
  httplib::Headers huge = {{"X-Big", std::string(100000, 'b')}};
  httplib::Result big_header = c.Get("/ok", huge);
  EXPECT_TRUE(!big_header || big_header->status >= 400);
  // Still serving afterwards.
  httplib::Client c2("127.0.0.1", s->port());
  httplib::Result r = c2.Get("/ok");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// Sends `data` on a fresh connection and returns what comes back before the server closes.
std::string SendRaw(int port, const std::string& data) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return "";
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)!write(fd, data.data(), data.size());
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, n);
  close(fd);
  return out;
}

TEST(HttpServer, MalformedRequestsGet400AndServingGoesOn) {
  std::atomic<int> calls{0};
  std::unique_ptr<HttpServer> s = StartTestServer(&calls);
  ASSERT_NE(s, nullptr);
  for (const char* bad : {"GARBAGE\r\n\r\n", "GET\r\n\r\n", "\x01\x02\x03\r\n\r\n"}) {
    std::string reply = SendRaw(s->port(), bad);
    EXPECT_TRUE(reply.empty() || reply.rfind("HTTP/1.1 4", 0) == 0) << reply;
  }
  // httplib is lenient with these; they must merely not hurt the server.
  SendRaw(s->port(), "GET /ok HTTP/9.9\r\n\r\n");
  SendRaw(s->port(), "GET /ok HTTP/1.1\r\nNoColon\r\n\r\n");
  SendRaw(s->port(), std::string(100000, 'G'));
  std::string good = SendRaw(s->port(), "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(good.rfind("HTTP/1.1 200", 0), 0u) << good;
  EXPECT_NE(good.find("fine"), std::string::npos);
}

TEST(HttpServer, IdleConnectionsDoNotBlockRequests) {
  std::atomic<int> calls{0};
  std::unique_ptr<HttpServer> s = StartTestServer(&calls);
  ASSERT_NE(s, nullptr);
  std::vector<int> idle;  // Connected, never send a byte: each holds a handler thread.
  for (int i = 0; i < 3; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(s->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    idle.push_back(fd);
  }
  absl::SleepFor(absl::Milliseconds(50));
  absl::Time t0 = absl::Now();
  httplib::Client c("127.0.0.1", s->port());
  for (int i = 0; i < 5; ++i) {  // Keep-alive is off: each request frees its thread.
    httplib::Result r = c.Get("/ok");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_LT(absl::Now() - t0, absl::Seconds(2));
  for (int fd : idle) close(fd);
}

TEST(HttpServer, BadAddressesAreErrors) {
  for (const char* bad : {"nohost", ":80", "127.0.0.1:x", "127.0.0.1:70000", "127.0.0.1:-1"}) {
    absl::StatusOr<std::unique_ptr<HttpServer>> s = HttpServer::Start(bad, {});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  std::atomic<int> calls{0};
  std::unique_ptr<HttpServer> first = StartTestServer(&calls);
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<HttpServer>> second =
      HttpServer::Start("127.0.0.1:" + std::to_string(first->port()), {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

TEST(HttpServer, ShutdownIsIdempotentAndStopsServing) {
  std::atomic<int> calls{0};
  std::unique_ptr<HttpServer> s = StartTestServer(&calls);
  ASSERT_NE(s, nullptr);
  int port = s->port();
  s->Shutdown();
  s->Shutdown();
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(1);
  EXPECT_FALSE(c.Get("/ok"));
}

TEST(ParseHostPort, SplitsHostAndPort) {
  absl::StatusOr<std::pair<std::string, int>> a = ParseHostPort("127.0.0.1:9650");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "127.0.0.1");
  EXPECT_EQ(a->second, 9650);
  a = ParseHostPort("[::1]:0");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->first, "::1");
  EXPECT_EQ(a->second, 0);
}

}  // namespace
}  // namespace synth::metrics
