// The real SV2 frame transport: TCP (AsioStream, asio_stream.h) under a Noise initiator.
#include "master/stratum/sv2_transport.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/sv2/secure_channel.h"
#include "master/stratum/asio_stream.h"

namespace synth::stratum {
namespace {

using asio::ip::tcp;

class AsioSv2Transport : public AsioStream<tcp::socket>, public Sv2Transport {
 public:
  AsioSv2Transport(asio::io_context& io, const PoolUrl& url, int connect_timeout_s,
                   const Clock* clock, sv2::RandomFn random)
      : AsioStream<tcp::socket>(io, url.host, url.port, connect_timeout_s, io),
        where_(absl::StrCat(url.host, ":", url.port)),
        clock_(clock),
        channel_(sv2::SecureChannel::Initiator(url.authority_key, std::move(random))) {}

  void Start(Handlers handlers) override {
    handlers_ = std::move(handlers);
    Connect();
  }
  void Send(sv2::Frame frame) override {
    if (closed()) return;
    if (!channel_->established()) {
      waiting_.push_back(std::move(frame));
      return;
    }
    absl::StatusOr<std::vector<uint8_t>> bytes = channel_->Seal(frame);
    if (!bytes.ok()) return Fail(bytes.status());
    WriteBytes(std::string(bytes->begin(), bytes->end()));
  }
  void Close() override { AsioStream<tcp::socket>::Close(); }

 private:
  void OnOpen() override {
    absl::StatusOr<std::vector<uint8_t>> act1 = channel_->Start();
    if (!act1.ok()) return Fail(act1.status());
    WriteBytes(std::string(act1->begin(), act1->end()));
  }

  absl::Status OnBytes(std::span<const uint8_t> bytes) override {
    const bool was_established = channel_->established();
    std::vector<sv2::Frame> frames;
    std::vector<uint8_t> reply;  // The initiator never replies to handshake bytes.
    absl::Status s = channel_->Feed(bytes, clock_->Now(), &frames, &reply);
    if (!s.ok()) {
      LOG(WARNING) << "SV2 pool " << where_
                   << (was_established ? ": bad frame: " : ": handshake failed: ") << s.message();
      return s;
    }
    if (!was_established && channel_->established()) {
      Ready();
      LOG(INFO) << "SV2 pool " << where_ << ": Noise handshake done, certificate valid until "
                << absl::FormatTime(absl::FromUnixSeconds(channel_->certificate().not_valid_after));
      if (handlers_.on_connected) handlers_.on_connected();
      for (sv2::Frame& f : std::exchange(waiting_, {})) Send(std::move(f));
    }
    for (sv2::Frame& f : frames) {
      if (closed()) break;
      handlers_.on_frame(std::move(f));
    }
    return absl::OkStatus();
  }

  void OnClosed(absl::Status why) override {
    if (size_t partial = channel_->buffered(); partial > 0) {
      why = absl::UnavailableError(absl::StrCat(why.message(), " mid-",
                                                channel_->established() ? "frame" : "handshake",
                                                " (", partial, " bytes of it received)"));
      LOG(WARNING) << "SV2 pool " << where_ << ": " << why.message();
    }
    if (handlers_.on_closed) handlers_.on_closed(std::move(why));
  }

  const std::string where_;
  const Clock* const clock_;
  std::unique_ptr<sv2::SecureChannel> channel_;
  Handlers handlers_;
  std::vector<sv2::Frame> waiting_;
};

// Keeps the shared_ptr-owned transport alive for async handlers while the caller owns a handle.
class Sv2TransportHandle : public Sv2Transport {
 public:
  explicit Sv2TransportHandle(std::shared_ptr<AsioSv2Transport> t) : t_(std::move(t)) {}
  ~Sv2TransportHandle() override { t_->Close(); }
  void Start(Handlers h) override { t_->Start(std::move(h)); }
  void Send(sv2::Frame frame) override { t_->Send(std::move(frame)); }
  void Close() override { t_->Close(); }

 private:
  std::shared_ptr<AsioSv2Transport> t_;
};

}  // namespace

Sv2TransportFactory AsioSv2TransportFactory(int connect_timeout_s, const Clock* clock,
                                            sv2::RandomFn random) {
  return [=](asio::io_context& io, const PoolUrl& url) -> std::unique_ptr<Sv2Transport> {
    return std::make_unique<Sv2TransportHandle>(
        std::make_shared<AsioSv2Transport>(io, url, connect_timeout_s, clock, random));
  };
}

}  // namespace synth::stratum
