// File: master/http/master_http.h
//
// synth-master's monitoring endpoint (docs/MONITORING.md): Prometheus /metrics, /healthz,
// /api/status (JSON the dashboard polls) and / (the dashboard page). It reads the cluster only
// through a SnapshotFn, so master code needs no change beyond wiring it in main.cc:
//
//   ABSL_FLAG(std::string, http_listen, "127.0.0.1:9650", "Monitoring HTTP HOST:PORT ('' = off)");
//   ...
//   std::unique_ptr<synth::http::MasterHttpServer> http;
//   if (!absl::GetFlag(FLAGS_http_listen).empty()) {
//     synth::http::HttpOptions hopts;
//     hopts.listen = absl::GetFlag(FLAGS_http_listen);
//     absl::StatusOr<std::unique_ptr<synth::http::MasterHttpServer>> h =
//         synth::http::StartMasterHttp(hopts, synth::http::ClusterSnapshotFn(&cluster));
//     if (!h.ok()) { LOG(ERROR) << h.status(); return 2; }
//     http = *std::move(h);
//   }
//   ... on stop, before cluster.Shutdown(): if (http) http->Shutdown();
//
// Health: 200 "ok" while serving with the pool connected, or still within the startup grace
// (pool not yet connected, "starting"); 503 with the reason otherwise ("pool disconnected: URL",
// "not serving").
//
// History: /api/status carries the master's own rate history (master/service/rate_history.h,
// one point a second) for the last `history`: the dashboard's chart, also after a page reload.
//
// Histograms the snapshot cannot give (synth_lease_duration_seconds, synth_job_switch_seconds)
// come from a MasterHistograms (master_histograms.h) that master code observes into; pass it as
// HttpOptions::histograms. Without one they are exported with zero counts.
//
// Secrets: nothing here reads a password or token; pool URLs are shown without user info.
// Thread-safety: all methods are thread-safe; the SnapshotFn is called from the HTTP handler
// threads, concurrently.
#ifndef SYNTH_MASTER_HTTP_MASTER_HTTP_H_
#define SYNTH_MASTER_HTTP_MASTER_HTTP_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/http_server.h"
#include "common/metrics/registry.h"
#include "master/http/master_histograms.h"
#include "synth/v1/control.pb.h"

namespace synth::service {
class Cluster;
}

namespace synth::http {

// The master's default monitoring address (loopback only).
inline constexpr char kDefaultMasterHttpListen[] = "127.0.0.1:9650";

// What the endpoint shows: the control-service views of the cluster.
struct MasterSnapshot {
  bool serving = true;          // False while shutting down (healthz → 503).
  v1::StatusResponse status;    // service::FillStatus, with status.history when asked for.
  v1::WorkersResponse workers;  // service::FillWorkers.
  v1::PoolsResponse pools;      // The upstream's pools with service::FillSplit's figures.
};
// Returns a snapshot with `history` of rate samples in status.history (zero: none).
using SnapshotFn = std::function<MasterSnapshot(absl::Duration history)>;

// Returns a SnapshotFn reading `cluster` (FillStatus + FillWorkers + the pools and FillSplit);
// `cluster` must outlive the server.
SnapshotFn ClusterSnapshotFn(const service::Cluster* cluster);

struct HttpOptions {
  std::string listen = kDefaultMasterHttpListen;     // HOST:PORT; port 0 picks one.
  absl::Duration startup_grace = absl::Seconds(30);  // Pool may be down this long at start.
  absl::Duration history = absl::Minutes(15);        // Rate history in /api/status.
  MasterHistograms* histograms = nullptr;  // Not owned, outlives the server; null: own, empty.
};

class MasterHttpServer {
 public:
  ~MasterHttpServer();
  int port() const { return server_->port(); }
  // Stops serving. Idempotent.
  void Shutdown();

  // The histograms rendered in /metrics (options.histograms, or the server's own).
  MasterHistograms& histograms() { return *histograms_; }

  // Handlers (public for tests; the HTTP routes call these).
  metrics::HttpResponse Metrics() const;
  metrics::HttpResponse Healthz() const;
  metrics::HttpResponse ApiStatus() const;

 private:
  friend absl::StatusOr<std::unique_ptr<MasterHttpServer>> StartMasterHttp(const HttpOptions&,
                                                                           SnapshotFn);
  MasterHttpServer(HttpOptions options, SnapshotFn snapshot);

  const HttpOptions options_;
  const SnapshotFn snapshot_;
  MasterHistograms own_histograms_;
  MasterHistograms* const histograms_;
  std::unique_ptr<metrics::HttpServer> server_;
};

// Starts the endpoint on options.listen. INVALID_ARGUMENT for a bad address, UNAVAILABLE when
// it cannot be bound.
absl::StatusOr<std::unique_ptr<MasterHttpServer>> StartMasterHttp(const HttpOptions& options,
                                                                  SnapshotFn snapshot);

}  // namespace synth::http

#endif  // SYNTH_MASTER_HTTP_MASTER_HTTP_H_
