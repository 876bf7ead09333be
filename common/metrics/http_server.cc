#include "common/metrics/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace synth::metrics {
namespace {

constexpr size_t kMaxBody = 64 * 1024;
// Each open connection holds a handler thread until it sends a request or times out, so
// connections are not kept alive and idle ones are dropped after 5 s.
constexpr int kHandlerThreads = 4;

// Escapes regex metacharacters: httplib matches route patterns as regular expressions.
std::string ExactPattern(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::pair<std::string, int>> ParseHostPort(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("expected HOST:PORT, got '", listen, "'"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  int port = -1;
  if (!absl::SimpleAtoi(listen.substr(colon + 1), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in '", listen, "'"));
  }
  return std::make_pair(host, port);
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen, std::map<std::string, HttpHandler> routes) {
  absl::StatusOr<std::pair<std::string, int>> addr = ParseHostPort(listen);
  if (!addr.ok()) return addr.status();
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->routes_ = std::move(routes);
  s->server_ = std::make_unique<httplib::Server>();
  httplib::Server& svr = *s->server_;
  svr.new_task_queue = [] { return new httplib::ThreadPool(kHandlerThreads); };
  svr.set_payload_max_length(kMaxBody);
  svr.set_read_timeout(5);
  svr.set_write_timeout(5);
  svr.set_keep_alive_max_count(1);  // One request per connection.
  // httplib's default also sets SO_REUSEPORT, which would let a second process share the port.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  svr.set_default_headers({{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}});
  svr.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("method not allowed\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(absl::StrCat("HTTP ", res.status, "\n"), "text/plain; charset=utf-8");
    }
  });
  for (const auto& [path, handler] : s->routes_) {
    const HttpHandler* h = &handler;  // routes_ is not modified after this point.
    svr.Get(ExactPattern(path), [h](const httplib::Request&, httplib::Response& res) {
      HttpResponse r = (*h)();
      res.status = r.status;
      res.set_content(std::move(r.body), r.content_type.c_str());
    });
  }
  const auto& [host, port] = *addr;
  if (port == 0) {
    s->port_ = svr.bind_to_any_port(host);
  } else if (svr.bind_to_port(host, port)) {
    s->port_ = port;
  } else {
    s->port_ = -1;
  }
  if (s->port_ <= 0) return absl::UnavailableError(absl::StrCat("cannot bind ", listen));
  s->thread_ = std::thread([&svr] { svr.listen_after_bind(); });
  // stop() before the loop runs would be lost; wait (bounded) until it runs.
  for (int i = 0; i < 5000 && !svr.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return s;
}

HttpServer::~HttpServer() { Shutdown(); }

void HttpServer::Shutdown() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace synth::metrics
