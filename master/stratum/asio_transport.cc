// The real line transport: TCP, or TLS (OpenSSL through asio::ssl) with verification.
#include <array>
#include <deque>

#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "asio/ssl.hpp"
#include "common/logging.h"
#include "common/stratum/codec.h"
#include "master/stratum/transport.h"

namespace synth::stratum {
namespace {

using asio::ip::tcp;

// Works over a plain socket or an ssl::stream; Stream is tcp::socket or ssl::stream<tcp::socket>.
template <typename Stream>
class AsioTransport : public LineTransport,
                      public std::enable_shared_from_this<AsioTransport<Stream>> {
 public:
  template <typename... Args>
  AsioTransport(asio::io_context& io, PoolUrl url, int connect_timeout_s, Args&&... args)
      : io_(io), url_(std::move(url)), resolver_(io), timer_(io),
        connect_timeout_s_(connect_timeout_s), stream_(std::forward<Args>(args)...) {}

  void Start(Handlers handlers) override {
    handlers_ = std::move(handlers);
    auto self = this->shared_from_this();
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str());  // SNI
      stream_.set_verify_callback(asio::ssl::host_name_verification(url_.host));
    }
    timer_.expires_after(std::chrono::seconds(connect_timeout_s_));
    timer_.async_wait([this, self](const asio::error_code& ec) {
      if (!ec && !connected_) Fail(absl::DeadlineExceededError("connect timed out"));
    });
    resolver_.async_resolve(url_.host, std::to_string(url_.port),
                            [this, self](const asio::error_code& ec, tcp::resolver::results_type r) {
                              if (closed_) return;
                              if (ec) return Fail(Error("resolve", ec));
                              asio::async_connect(Lowest(), r, [this, self](const asio::error_code& ec2,
                                                                             const tcp::endpoint&) {
                                if (closed_) return;
                                if (ec2) return Fail(Error("connect", ec2));
                                asio::error_code ignored;
                                Lowest().set_option(tcp::no_delay(true), ignored);
                                Handshake();
                              });
                            });
  }

  void Send(std::string line) override {
    if (closed_) return;
    out_.push_back(std::move(line));
    if (connected_ && !writing_) Write();
  }

  void Close() override {
    if (closed_) return;
    closed_ = true;
    asio::error_code ec;
    timer_.cancel();
    resolver_.cancel();
    Lowest().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close(ec);
  }

 private:
  static absl::Status Error(const char* what, const asio::error_code& ec) {
    return absl::UnavailableError(absl::StrCat(what, ": ", ec.message()));
  }
  tcp::socket& Lowest() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      return stream_;
    } else {
      return stream_.next_layer();
    }
  }
  void Handshake() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      Connected();
    } else {
      auto self = this->shared_from_this();
      stream_.async_handshake(asio::ssl::stream_base::client, [this, self](const asio::error_code& ec) {
        if (closed_) return;
        if (ec) return Fail(Error("TLS handshake", ec));
        Connected();
      });
    }
  }
  void Connected() {
    connected_ = true;
    timer_.cancel();
    if (handlers_.on_connected) handlers_.on_connected();
    if (closed_) return;
    if (!out_.empty() && !writing_) Write();
    Read();
  }
  void Fail(absl::Status why) {
    if (closed_) return;
    Close();
    if (handlers_.on_closed) handlers_.on_closed(std::move(why));
  }
  void Read() {
    auto self = this->shared_from_this();
    stream_.async_read_some(asio::buffer(buf_), [this, self](const asio::error_code& ec, size_t n) {
      if (closed_) return;
      if (ec) return Fail(ec == asio::error::eof ? absl::UnavailableError("pool closed the connection")
                                                 : Error("read", ec));
      std::vector<std::string> lines;
      absl::Status framed = framer_.Feed(absl::string_view(buf_.data(), n), &lines);
      for (std::string& line : lines) {
        if (closed_) return;
        handlers_.on_line(std::move(line));
      }
      if (closed_) return;
      if (!framed.ok()) return Fail(framed);
      Read();
    });
  }
  void Write() {
    writing_ = true;
    auto self = this->shared_from_this();
    asio::async_write(stream_, asio::buffer(out_.front()), [this, self](const asio::error_code& ec, size_t) {
      writing_ = false;
      if (closed_) return;
      if (ec) return Fail(Error("write", ec));
      out_.pop_front();
      if (!out_.empty()) Write();
    });
  }

  asio::io_context& io_;
  PoolUrl url_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  int connect_timeout_s_;
  Stream stream_;
  Handlers handlers_;
  std::array<char, 8192> buf_;
  LineFramer framer_;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool connected_ = false;
  bool closed_ = false;
};

// Keeps the shared_ptr-owned transport alive for async handlers while the caller owns a handle.
class TransportHandle : public LineTransport {
 public:
  explicit TransportHandle(std::shared_ptr<LineTransport> t) : t_(std::move(t)) {}
  ~TransportHandle() override { t_->Close(); }
  void Start(Handlers h) override { t_->Start(std::move(h)); }
  void Send(std::string line) override { t_->Send(std::move(line)); }
  void Close() override { t_->Close(); }

 private:
  std::shared_ptr<LineTransport> t_;
};

}  // namespace

TransportFactory AsioTransportFactory(TlsOptions tls, int connect_timeout_s) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                   asio::ssl::context::no_tlsv1_1);
  asio::error_code ec;
  if (tls.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
  } else {
    ctx->load_verify_file(tls.ca_file, ec);
  }
  if (ec) LOG(WARNING) << "stratum TLS: cannot load trust store: " << ec.message();
  ctx->set_verify_mode(tls.verify ? asio::ssl::verify_peer : asio::ssl::verify_none);
  return [ctx, tls, connect_timeout_s](asio::io_context& io,
                                       const PoolUrl& url) -> std::unique_ptr<LineTransport> {
    if (!url.tls) {
      return std::make_unique<TransportHandle>(
          std::make_shared<AsioTransport<tcp::socket>>(io, url, connect_timeout_s, io));
    }
    using TlsStream = asio::ssl::stream<tcp::socket>;
    auto t = std::make_shared<AsioTransport<TlsStream>>(io, url, connect_timeout_s, io, *ctx);
    return std::make_unique<TransportHandle>(std::move(t));
  };
}

}  // namespace synth::stratum
