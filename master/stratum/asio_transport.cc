// The real line transport: TCP, or TLS (OpenSSL through asio::ssl) with verification.
#include "common/logging.h"
#include "common/stratum/codec.h"
#include "master/stratum/asio_stream.h"
#include "master/stratum/transport.h"

namespace synth::stratum {
namespace {

using asio::ip::tcp;

// V1 lines over AsioStream (asio_stream.h); Stream is tcp::socket or ssl::stream<tcp::socket>.
template <typename Stream>
class AsioTransport : public AsioStream<Stream>, public LineTransport {
 public:
  using AsioStream<Stream>::AsioStream;

  void Start(Handlers handlers) override {
    handlers_ = std::move(handlers);
    this->Connect();
  }
  void Send(std::string line) override { this->WriteBytes(std::move(line)); }
  void Close() override { AsioStream<Stream>::Close(); }

 private:
  void OnOpen() override {
    this->Ready();
    if (handlers_.on_connected) handlers_.on_connected();
  }
  absl::Status OnBytes(std::span<const uint8_t> bytes) override {
    std::vector<std::string> lines;
    absl::Status framed = framer_.Feed(
        absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), &lines);
    for (std::string& line : lines) {
      if (this->closed()) return absl::OkStatus();
      handlers_.on_line(std::move(line));
    }
    return framed;
  }
  void OnClosed(absl::Status why) override {
    if (handlers_.on_closed) handlers_.on_closed(std::move(why));
  }

  Handlers handlers_;
  LineFramer framer_;
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
      return std::make_unique<TransportHandle>(std::make_shared<AsioTransport<tcp::socket>>(
          io, url.host, url.port, connect_timeout_s, io));
    }
    using TlsStream = asio::ssl::stream<tcp::socket>;
    auto t = std::make_shared<AsioTransport<TlsStream>>(io, url.host, url.port, connect_timeout_s,
                                                        io, *ctx);
    return std::make_unique<TransportHandle>(std::move(t));
  };
}

}  // namespace synth::stratum
