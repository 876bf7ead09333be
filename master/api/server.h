// File: master/api/server.h
//
// synth-master's cgminer-compatible API server (docs/MONITORING.md "cgminer API"): farm tools
// (Foreman, Awesome Miner, pyasic, cgminer's api-example) connect over TCP, write one request,
// read the NUL-terminated answer and see the connection closed.
//
//   ApiServerOptions o;
//   o.listen = "127.0.0.1:4028";        // --api-listen
//   o.allow = "W:127.0.0.1";            // --api-allow (access.h)
//   o.pool_user = user;
//   ASSIGN_OR_RETURN(std::unique_ptr<ApiServer> api, ApiServer::Start(o, ClusterApiBackend(&c)));
//   ... api->Shutdown();                // before the Cluster goes away
//
// Bounds, so that no client can hold the master up: a request over max_request_bytes is
// answered with cgminer's error status (invalid JSON / invalid command) and closed; a peer
// that has not completed its request (or read its answer) within request_timeout is dropped
// without one (slowloris); past max_connections open connections a new one is closed at once;
// a peer the --api-allow list refuses is closed without an answer (cgminer's behaviour).
// After answering, the server half-closes and discards what the peer still sends until it
// closes (or the timeout), so the answer is not lost to a reset.
//
// Threading: one io thread serves every connection and calls the backend (which takes the
// Cluster's lock briefly). Start, port, stats and Shutdown may be called from any thread.
#ifndef SYNTH_MASTER_API_SERVER_H_
#define SYNTH_MASTER_API_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "master/api/backend.h"

namespace synth::api {

// The API's usual port, as cgminer's.
inline constexpr int kDefaultApiPort = 4028;

struct ApiServerOptions {
  std::string listen;     // HOST:PORT ("[::1]:4028" for IPv6); port 0 picks a free one.
  std::string allow;      // --api-allow list (access.h); "" = everyone who connects may read.
  std::string pool_user;  // Shown as each pool's User.
  absl::Duration request_timeout = absl::Seconds(5);  // Whole connection, request to close.
  size_t max_request_bytes = 4096;                    // cgminer reads at most 4095.
  int max_connections = 64;
  const Clock* clock = nullptr;  // `When` of each answer; null: the real clock.
};

// Counters since start, for tests and logs.
struct ApiServerStats {
  uint64_t connections = 0;  // Accepted.
  uint64_t answered = 0;     // Answers written (errors included).
  uint64_t refused = 0;      // Closed unanswered: not allowed by --api-allow.
  uint64_t busy = 0;         // Closed unanswered: max_connections open.
  uint64_t timed_out = 0;    // Dropped: no complete request within request_timeout.
  uint64_t too_large = 0;    // Requests over max_request_bytes (answered with an error).
  uint64_t denied = 0;       // Privileged commands refused (status 45).
};

class ApiServer {
 public:
  // Binds and starts serving. INVALID_ARGUMENT for a bad address or --api-allow list,
  // UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(const ApiServerOptions& options,
                                                          ApiBackend backend);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Returns the bound port.
  int port() const;
  ApiServerStats stats() const;
  // Closes the listener and every connection and joins the io thread. Idempotent.
  void Shutdown();

  class Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_SERVER_H_
