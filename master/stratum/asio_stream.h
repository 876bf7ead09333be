// Internal to master/stratum: the connection half that the asio transports share
// (asio_transport.cc: V1 lines over TCP or TLS; sv2_transport.cc: SV2 frames under Noise).
//
// AsioStream<Stream> resolves, connects (Stream is tcp::socket or ssl::stream<tcp::socket>, whose
// TLS handshake it runs), keeps a write queue and reads, handing every chunk of bytes to the
// protocol above through three hooks. The connect timeout covers everything up to Ready(), so a
// peer that accepts TCP but never finishes a TLS or Noise handshake is dropped too.
//
//   class MyTransport : public AsioStream<tcp::socket> {
//     void OnOpen() override { WriteBytes(hello); }            // TCP (and TLS) are up
//     absl::Status OnBytes(std::span<const uint8_t> b) override { ...; Ready(); ... }
//     void OnClosed(absl::Status why) override { ... }         // once; never after Close()
//   };
//   auto t = std::make_shared<MyTransport>(io, host, port, timeout_s, io);  t->Connect();
//
// Lifetime: owned by a shared_ptr; every pending operation holds a reference, so a hook may run
// while the owner's handle is gone; after Close() no hook runs. Threading: the io thread only.
#ifndef SYNTH_MASTER_STRATUM_ASIO_STREAM_H_
#define SYNTH_MASTER_STRATUM_ASIO_STREAM_H_

#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "asio/ssl.hpp"

namespace synth::stratum {

template <typename Stream>
class AsioStream : public std::enable_shared_from_this<AsioStream<Stream>> {
 public:
  using tcp = asio::ip::tcp;

  template <typename... Args>
  AsioStream(asio::io_context& io, std::string host, int port, int connect_timeout_s,
             Args&&... args)
      : host_(std::move(host)),
        port_(port),
        resolver_(io),
        timer_(io),
        connect_timeout_s_(connect_timeout_s),
        stream_(std::forward<Args>(args)...) {}
  virtual ~AsioStream() = default;

  // Starts resolving and connecting; the hooks report the outcome.
  void Connect() {
    auto self = this->shared_from_this();
    if constexpr (!std::is_same_v<Stream, tcp::socket>) {
      SSL_set_tlsext_host_name(stream_.native_handle(), host_.c_str());  // SNI
      stream_.set_verify_callback(asio::ssl::host_name_verification(host_));
    }
    timer_.expires_after(std::chrono::seconds(connect_timeout_s_));
    timer_.async_wait([this, self](const asio::error_code& ec) {
      if (!ec && !ready_) Fail(absl::DeadlineExceededError("connect timed out"));
    });
    resolver_.async_resolve(
        host_, std::to_string(port_),
        [this, self](const asio::error_code& ec, tcp::resolver::results_type r) {
          if (closed_) return;
          if (ec) return Fail(Error("resolve", ec));
          asio::async_connect(Lowest(), r,
                              [this, self](const asio::error_code& ec2, const tcp::endpoint&) {
                                if (closed_) return;
                                if (ec2) return Fail(Error("connect", ec2));
                                asio::error_code ignored;
                                Lowest().set_option(tcp::no_delay(true), ignored);
                                Handshake();
                              });
        });
  }

  // Closes without calling OnClosed. Idempotent.
  void Close() {
    if (closed_) return;
    closed_ = true;
    asio::error_code ec;
    timer_.cancel();
    resolver_.cancel();
    Lowest().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close(ec);
  }

 protected:
  virtual void OnOpen() = 0;
  virtual absl::Status OnBytes(std::span<const uint8_t> bytes) = 0;
  virtual void OnClosed(absl::Status why) = 0;

  // The protocol's own handshake is done: the connect timeout no longer applies.
  void Ready() {
    ready_ = true;
    timer_.cancel();
  }
  bool ready() const { return ready_; }
  bool closed() const { return closed_; }
  // Queues bytes; they go out in order once the stream is open.
  void WriteBytes(std::string bytes) {
    if (closed_) return;
    out_.push_back(std::move(bytes));
    if (open_ && !writing_) Write();
  }
  // Closes and reports `why` through OnClosed (once).
  void Fail(absl::Status why) {
    if (closed_) return;
    Close();
    OnClosed(std::move(why));
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
      Opened();
    } else {
      auto self = this->shared_from_this();
      stream_.async_handshake(asio::ssl::stream_base::client,
                              [this, self](const asio::error_code& ec) {
                                if (closed_) return;
                                if (ec) return Fail(Error("TLS handshake", ec));
                                Opened();
                              });
    }
  }
  void Opened() {
    open_ = true;
    OnOpen();
    if (closed_) return;
    if (!out_.empty() && !writing_) Write();
    Read();
  }
  void Read() {
    auto self = this->shared_from_this();
    stream_.async_read_some(asio::buffer(buf_), [this, self](const asio::error_code& ec, size_t n) {
      if (closed_) return;
      if (ec) {
        return Fail(ec == asio::error::eof ? absl::UnavailableError("pool closed the connection")
                                           : Error("read", ec));
      }
      absl::Status s = OnBytes(std::span<const uint8_t>(buf_.data(), n));
      if (closed_) return;
      if (!s.ok()) return Fail(s);
      Read();
    });
  }
  void Write() {
    writing_ = true;
    auto self = this->shared_from_this();
    asio::async_write(stream_, asio::buffer(out_.front()),
                      [this, self](const asio::error_code& ec, size_t) {
                        writing_ = false;
                        if (closed_) return;
                        if (ec) return Fail(Error("write", ec));
                        out_.pop_front();
                        if (!out_.empty()) Write();
                      });
  }

  const std::string host_;
  const int port_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  const int connect_timeout_s_;
  Stream stream_;
  std::array<uint8_t, 8192> buf_;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool open_ = false;
  bool ready_ = false;
  bool closed_ = false;
};

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_ASIO_STREAM_H_
