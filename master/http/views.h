// File: master/http/views.h
//
// Pure views of a MasterSnapshot for master_http.h: the Prometheus metrics it implies, the
// /api/status JSON, the health verdict. Tested directly (views_test.cc).
//
//   std::string text = RenderSnapshotMetrics(snap);           // Prometheus text 0.0.4.
//   nlohmann::json j = StatusJson(snap, Health(snap, absl::Seconds(30)));
//
// Metric names (docs/MONITORING.md has the full list): synth_pool_up, synth_workers,
// synth_hashrate_hashes_per_second{worker,device}, synth_shares_total{verdict}, ...
// Thread-safe (no state).
#ifndef SYNTH_MASTER_HTTP_VIEWS_H_
#define SYNTH_MASTER_HTTP_VIEWS_H_

#include <string>

#include "absl/time/time.h"
#include "master/http/master_http.h"
#include "nlohmann/json.hpp"

namespace synth::http {

struct HealthVerdict {
  bool ok = false;
  std::string reason;  // "ok", "starting: pool not connected yet", "pool disconnected: URL", ...
};

// Returns the health of the master in `snap` (pool down tolerated for `grace` after start).
HealthVerdict Health(const MasterSnapshot& snap, absl::Duration grace);

// Returns `url` without user info ("stratum+tcp://u:p@h:1" → "stratum+tcp://h:1").
std::string RedactUrl(const std::string& url);

// Returns the metrics implied by the snapshot, in the text exposition format.
std::string RenderSnapshotMetrics(const MasterSnapshot& snap);

// Returns the /api/status document (docs/MONITORING.md describes its fields); its history is
// snap.status.history.
nlohmann::json StatusJson(const MasterSnapshot& snap, const HealthVerdict& health);

}  // namespace synth::http

#endif  // SYNTH_MASTER_HTTP_VIEWS_H_
