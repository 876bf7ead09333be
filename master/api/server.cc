#include "master/api/server.h"

#include <array>
#include <atomic>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "asio.hpp"
#include "common/logging.h"
#include "common/metrics/http_server.h"
#include "master/api/access.h"
#include "master/api/codes.h"
#include "master/api/reply.h"
#include "master/api/request.h"

namespace synth::api {

using asio::ip::tcp;

class ApiConnection;

// Owns the io thread, the listener and the counters. Connections hold a reference to it.
class ApiServer::Impl {
 public:
  Impl(const ApiServerOptions& options, ApiAccess access, ApiBackend backend)
      : options_(options),
        access_(std::move(access)),
        backend_(std::move(backend)),
        clock_(options.clock != nullptr ? options.clock : RealClock::Get()) {}

  absl::Status Listen(const std::string& host, int port);
  void Run() {
    thread_ = std::thread([this] { io_.run(); });
  }
  void Shutdown();
  int port() const { return port_; }
  ApiServerStats stats() const;

  // Called by connections (io thread).
  ApiAnswer Answer(const ApiRequest& req, ApiGroup group) const {
    return api::Answer(req, group, ApiContext{&backend_, options_.pool_user, clock_->Now()});
  }
  const ApiServerOptions& options() const { return options_; }
  void Forget(ApiConnection* c) { open_.erase(c); }
  struct Counters {
    std::atomic<uint64_t> connections{0}, answered{0}, refused{0}, busy{0}, timed_out{0},
        too_large{0}, denied{0};
  };
  Counters& counters() { return counters_; }

 private:
  void Accept();

  const ApiServerOptions options_;
  const ApiAccess access_;
  const ApiBackend backend_;
  const Clock* const clock_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  int port_ = 0;
  absl::flat_hash_set<ApiConnection*> open_;  // io thread only.
  Counters counters_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

// One client: read a request, answer it, half-close, drain, close; all within the deadline.
// Lives on the io thread, kept alive by its pending handlers.
class ApiConnection : public std::enable_shared_from_this<ApiConnection> {
 public:
  ApiConnection(ApiServer::Impl& server, tcp::socket socket, ApiGroup group, std::string peer)
      : server_(server),
        socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        group_(group),
        peer_(std::move(peer)) {}
  ~ApiConnection() { server_.Forget(this); }

  void Start() {
    timer_.expires_after(absl::ToChronoMilliseconds(server_.options().request_timeout));
    timer_.async_wait([self = shared_from_this()](const asio::error_code& ec) {
      if (ec) return;  // Cancelled: the connection closed in time.
      if (!self->answered_) ++self->server_.counters().timed_out;
      self->Close();
    });
    Read();
  }

  // Ends the connection: its pending handlers run with errors and release it.
  void Close() {
    asio::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  void Read() {
    socket_.async_read_some(
        asio::buffer(chunk_),
        [self = shared_from_this()](const asio::error_code& ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(const asio::error_code& ec, size_t n) {
    if (answered_) {  // Draining after the answer: until EOF, an error or the deadline.
      if (ec) return Close();
      return Read();
    }
    request_.append(chunk_.data(), n);
    const size_t max = server_.options().max_request_bytes;
    if (request_.size() > max) {
      ++server_.counters().too_large;
      ApiRequest bad;
      bad.json = request_[0] == '{';
      bad.error_code = bad.json ? kCodeInvalidJson : kCodeInvalidCommand;
      return Respond(bad);
    }
    if (RequestComplete(request_) || (ec && !request_.empty())) {
      return Respond(ParseRequest(request_));
    }
    if (ec) return Close();  // Closed before saying anything.
    Read();
  }

  void Respond(const ApiRequest& req) {
    answered_ = true;
    ApiAnswer answer = server_.Answer(req, group_);
    if (!answer.denied.empty()) {
      server_.counters().denied += answer.denied.size();
      LOG(WARNING) << "cgminer API: " << peer_ << " denied '" << absl::StrJoin(answer.denied, "+")
                   << "' (no W: entry of --api-allow matches it)";
    }
    reply_ = std::move(answer.bytes);
    asio::async_write(socket_, asio::buffer(reply_),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) {
                        if (ec) return self->Close();
                        ++self->server_.counters().answered;
                        asio::error_code ignored;
                        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
                        self->Read();  // Drain until the peer closes.
                      });
  }

  ApiServer::Impl& server_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  const ApiGroup group_;
  const std::string peer_;
  std::vector<char> chunk_ = std::vector<char>(server_.options().max_request_bytes + 1);
  std::string request_;
  std::string reply_;
  bool answered_ = false;
};

absl::Status ApiServer::Impl::Listen(const std::string& host, int port) {
  asio::error_code ec;
  asio::ip::address addr = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--api-listen: bad host '", host, "'"));
  tcp::endpoint ep(addr, static_cast<uint16_t>(port));
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("--api-listen: cannot listen on ", host, ":", port, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  return absl::OkStatus();
}

void ApiServer::Impl::Accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, tcp::socket socket) {
    if (ec) {
      if (!acceptor_.is_open()) return;
      LOG_EVERY_N(WARNING, 100) << "cgminer API accept: " << ec.message();
      return Accept();
    }
    ++counters_.connections;
    asio::error_code aec;
    tcp::endpoint remote = socket.remote_endpoint(aec);
    std::string peer = aec ? std::string("?") : remote.address().to_string();
    ApiGroup group = aec ? ApiGroup::kNone : access_.Lookup(peer);
    if (group == ApiGroup::kNone || open_.size() >= static_cast<size_t>(options_.max_connections)) {
      ++(group == ApiGroup::kNone ? counters_.refused : counters_.busy);
      socket.close(aec);
    } else {
      auto c = std::make_shared<ApiConnection>(*this, std::move(socket), group, std::move(peer));
      open_.insert(c.get());
      c->Start();
    }
    Accept();
  });
}

void ApiServer::Impl::Shutdown() {
  if (stopped_.exchange(true)) return;
  // Every pending operation then ends with an error, so io_.run() returns.
  asio::post(io_, [this] {
    asio::error_code ignored;
    acceptor_.close(ignored);
    std::vector<ApiConnection*> open(open_.begin(), open_.end());
    for (ApiConnection* c : open) c->Close();
  });
  if (thread_.joinable()) thread_.join();
}

ApiServerStats ApiServer::Impl::stats() const {
  const Counters& c = counters_;
  return {c.connections, c.answered, c.refused, c.busy, c.timed_out, c.too_large, c.denied};
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() { Shutdown(); }
int ApiServer::port() const { return impl_->port(); }
ApiServerStats ApiServer::stats() const { return impl_->stats(); }
void ApiServer::Shutdown() { impl_->Shutdown(); }

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(const ApiServerOptions& options,
                                                            ApiBackend backend) {
  absl::StatusOr<std::pair<std::string, int>> addr = metrics::ParseHostPort(options.listen);
  if (!addr.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--api-listen: ", addr.status().message()));
  }
  absl::StatusOr<ApiAccess> access = ApiAccess::Parse(options.allow);
  if (!access.ok()) return access.status();
  auto impl = std::make_unique<Impl>(options, *std::move(access), std::move(backend));
  absl::Status s = impl->Listen(addr->first, addr->second);
  if (!s.ok()) return s;
  impl->Run();
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

}  // namespace synth::api
