// File: master/stratum/sv2_transport.h
//
// The frame transport under the SV2 session (sv2_session.h), and its test seam: the session
// only sees "connected" (the Noise handshake is done and the pool's certificate verified),
// "a frame arrived", "closed", and sends plaintext frames. AsioSv2TransportFactory is the real
// one (TCP, Noise NX with the authority key from the URL: docs/DESIGN.md §9.2); tests plug in
// fakes, as for LineTransport (transport.h).
//
//   Sv2TransportFactory factory = AsioSv2TransportFactory();
//   auto t = factory(io, url);                               // url.sv2, url.authority_key
//   t->Start({.on_connected = ..., .on_frame = ..., .on_closed = ...});
//   t->Send(frame);                                          // after on_connected
//
// A certificate that does not verify (another authority, expired, not yet valid), a MAC that
// does not verify, an oversize frame, or a connection that ends inside a handshake message or a
// frame closes the transport with that reason (PermissionDenied, DataLoss, InvalidArgument,
// Unavailable "... mid-frame") and one log line; the client counts it as a pool failure. The
// connect timeout covers the handshake.
// Threading: every method and every handler runs on the client's single io thread. After
// Close() no handler runs.
#ifndef SYNTH_MASTER_STRATUM_SV2_TRANSPORT_H_
#define SYNTH_MASTER_STRATUM_SV2_TRANSPORT_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "asio/io_context.hpp"
#include "common/clock.h"
#include "common/sv2/frame.h"
#include "common/sv2/random.h"
#include "master/stratum/pool_url.h"

namespace synth::stratum {

class Sv2Transport {
 public:
  struct Handlers {
    std::function<void()> on_connected;  // Handshake done, certificate valid.
    std::function<void(sv2::Frame frame)> on_frame;
    std::function<void(absl::Status why)> on_closed;  // Once; connect/handshake failures too.
  };
  virtual ~Sv2Transport() = default;
  // Connects, runs the handshake and starts reading.
  virtual void Start(Handlers handlers) = 0;
  // Encrypts and queues one frame (frames sent before on_connected wait for it).
  virtual void Send(sv2::Frame frame) = 0;
  // Closes without calling on_closed.
  virtual void Close() = 0;
};

using Sv2TransportFactory =
    std::function<std::unique_ptr<Sv2Transport>(asio::io_context& io, const PoolUrl& url)>;

// Returns the factory for real sockets. `clock` dates the certificate check; `random` draws the
// ephemeral keys (both seams for tests).
Sv2TransportFactory AsioSv2TransportFactory(int connect_timeout_s = 10,
                                            const Clock* clock = RealClock::Get(),
                                            sv2::RandomFn random = sv2::SystemRandom());

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_SV2_TRANSPORT_H_
