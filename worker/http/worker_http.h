// File: worker/http/worker_http.h
//
// synth-worker's monitoring endpoint (docs/MONITORING.md): Prometheus /metrics (per-device rate,
// hashes, shares, errors, batch latency, GPU telemetry; the connection and share verdicts) and
// /healthz. Off by default; `synth-worker --http-listen 127.0.0.1:9651` turns it on. It reads
// the worker through a WorkerSnapshotFn (worker_main.cc builds it from the Scheduler and the
// MasterConnection):
//
//   absl::StatusOr<std::unique_ptr<WorkerHttpServer>> http = StartWorkerHttp(
//       "127.0.0.1:9651", [&] { return WorkerSnapshot{conn.WorkerId(), ..., sched.Stats(),
//                                                     conn.Stats()}; });
//   ...
//   (*http)->Shutdown();
//
// Health: 200 "ok" while the master stream is up and at least one device hashes; within
// `startup_grace` of the start a missing stream is "starting" (200); otherwise 503 with the
// reason ("master disconnected: <last error>", "all devices disabled or hung").
// Thread-safety: thread-safe; the snapshot function is called from HTTP handler threads.
#ifndef SYNTH_WORKER_HTTP_WORKER_HTTP_H_
#define SYNTH_WORKER_HTTP_WORKER_HTTP_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/http_server.h"
#include "worker/conn/master_connection.h"
#include "worker/scheduler/scheduler.h"

namespace synth::worker {

struct WorkerSnapshot {
  std::string worker_id;
  double uptime_s = 0;    // Seconds since the worker started hashing.
  double buffered_s = 0;  // Seconds of work buffered (Scheduler::BufferedTime).
  std::vector<DeviceStats> devices;
  ConnectionStats connection;
};
using WorkerSnapshotFn = std::function<WorkerSnapshot()>;

struct WorkerHealth {
  bool ok = false;
  std::string reason;
};

// Returns the health verdict for `snap` (see the file comment).
WorkerHealth CheckWorkerHealth(const WorkerSnapshot& snap, absl::Duration startup_grace);
// Returns the Prometheus text for `snap`.
std::string RenderWorkerMetrics(const WorkerSnapshot& snap);

class WorkerHttpServer {
 public:
  int port() const { return server_->port(); }
  // Stops serving. Idempotent.
  void Shutdown() { server_->Shutdown(); }

 private:
  friend absl::StatusOr<std::unique_ptr<WorkerHttpServer>> StartWorkerHttp(const std::string&,
                                                                           WorkerSnapshotFn,
                                                                           absl::Duration);
  WorkerSnapshotFn snapshot_;
  absl::Duration grace_;
  std::unique_ptr<metrics::HttpServer> server_;
};

// Serves /metrics and /healthz on `listen` (HOST:PORT, port 0 picks one). INVALID_ARGUMENT for
// a bad address or no snapshot function, UNAVAILABLE when it cannot be bound.
absl::StatusOr<std::unique_ptr<WorkerHttpServer>> StartWorkerHttp(
    const std::string& listen, WorkerSnapshotFn snapshot,
    absl::Duration startup_grace = absl::Seconds(30));

}  // namespace synth::worker

#endif  // SYNTH_WORKER_HTTP_WORKER_HTTP_H_
