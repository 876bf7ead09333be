// File: common/metrics/http_server.h
//
// A small read-only HTTP server (cpp-httplib from Debian) for /metrics, /healthz and similar
// GET endpoints, shared by master/http and worker/http. Library synth_metrics_http (the
// registry library synth_metrics itself does not link HTTP).
//
//   absl::StatusOr<std::unique_ptr<metrics::HttpServer>> s = metrics::HttpServer::Start(
//       "127.0.0.1:0", {{"/healthz", [] { return metrics::HttpResponse{200, "text/plain", "ok\n"};
//       }}});
//   int port = (*s)->port();
//   ...
//   (*s)->Shutdown();  // Also done by the destructor.
//
// Contract: only GET (and HEAD) on the registered exact paths are answered; any other path is
// 404, any other method 405. Requests are bounded (URI and headers 8 KiB, body 64 KiB, 5 s read
// and write timeouts, one request per connection, 4 handler threads), so bad or huge input gets an
// error status and never takes the process down. Handlers run on the server's threads, concurrently
// with each other; they must not throw and should return quickly. Every response carries
// `Cache-Control: no-store`.
//
// Thread-safety: Start, port and Shutdown may be called from any thread; Shutdown is idempotent.
#ifndef SYNTH_COMMON_METRICS_HTTP_SERVER_H_
#define SYNTH_COMMON_METRICS_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace synth::metrics {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse()>;

// Splits "HOST:PORT" (PORT 0..65535; "[::1]:80" for IPv6). INVALID_ARGUMENT otherwise.
absl::StatusOr<std::pair<std::string, int>> ParseHostPort(const std::string& listen);

class HttpServer {
 public:
  // Binds `listen` (HOST:PORT; port 0 picks a free one) and serves `routes` (exact path →
  // handler) on a background thread. INVALID_ARGUMENT for a bad address, UNAVAILABLE when the
  // address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(
      const std::string& listen, std::map<std::string, HttpHandler> routes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Returns the bound port.
  int port() const { return port_; }
  // Stops accepting, waits for the serving thread. Idempotent.
  void Shutdown();

 private:
  HttpServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::map<std::string, HttpHandler> routes_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace synth::metrics

#endif  // SYNTH_COMMON_METRICS_HTTP_SERVER_H_
