// File: master/stratum/transport.h
//
// The line transport under the Stratum client, and its test seam: the session logic only sees
// "connected", "a line arrived", "closed", and sends whole lines. AsioTransport (TCP, or TLS
// with certificate and host-name verification) is the real one; tests plug in fakes.
//
//   auto t = factory(io, url);            // url: a parsed PoolUrl
//   t->Start({.on_connected = ..., .on_line = ..., .on_closed = ...});
//   t->Send("{...}\n");
//
// Threading: every method and every handler runs on the client's single io thread. After
// Close() no handler runs.
#ifndef SYNTH_MASTER_STRATUM_TRANSPORT_H_
#define SYNTH_MASTER_STRATUM_TRANSPORT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "asio/io_context.hpp"
#include "master/stratum/pool_url.h"

namespace synth::stratum {

class LineTransport {
 public:
  struct Handlers {
    std::function<void()> on_connected;
    std::function<void(std::string line)> on_line;          // One line, without '\n'.
    std::function<void(absl::Status why)> on_closed;        // Once; connect failures too.
  };
  virtual ~LineTransport() = default;
  // Connects and starts reading.
  virtual void Start(Handlers handlers) = 0;
  // Queues one line (it must end with '\n').
  virtual void Send(std::string line) = 0;
  // Closes without calling on_closed.
  virtual void Close() = 0;
};

struct TlsOptions {
  std::string ca_file;       // PEM bundle; empty: the system's default trust store.
  bool verify = true;        // Certificate + host name verification (never off in production).
};

using TransportFactory =
    std::function<std::unique_ptr<LineTransport>(asio::io_context& io, const PoolUrl& url)>;

// Returns the factory for real sockets: TCP, or TLS for stratum+ssl:// URLs. stratum2+tcp:// URLs
// take the SV2 transport instead (sv2_transport.h; the client chooses: pool_link.h).
TransportFactory AsioTransportFactory(TlsOptions tls, int connect_timeout_s = 10);

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_TRANSPORT_H_
