// File: master/service/status_views.h
//
// The read-only views of the master for synthctl (ControlService), the monitoring endpoint and
// the periodic status line: each reads the Cluster through Cluster::Inspect (one consistent
// look under its mutex) and the share ledger, and fills a control.proto response.
//
//   v1::StatusResponse st;
//   FillStatus(cluster, &st, absl::Minutes(1));   // with one minute of rate history
//   LOG(INFO) << StatusLine(cluster);
//
// Thread-safe (the Cluster is). Upstream::Info() is read before the Cluster's mutex is taken.
#ifndef SYNTH_MASTER_SERVICE_STATUS_VIEWS_H_
#define SYNTH_MASTER_SERVICE_STATUS_VIEWS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "synth/v1/control.pb.h"

namespace synth::service {

class Cluster;

// The cluster summary, with the rate samples of the last `history` (at most 15 minutes) in
// out->history.
void FillStatus(const Cluster& cluster, v1::StatusResponse* out,
                absl::Duration history = absl::ZeroDuration());
// Every connected worker with its devices and its share counts.
void FillWorkers(const Cluster& cluster, v1::WorkersResponse* out);
// The ledger totals and the `limit` most recent shares with their verdicts (newest first).
void FillShares(const Cluster& cluster, uint32_t limit, v1::SharesResponse* out);
// Every live job with its age, flags and units.
void FillJobs(const Cluster& cluster, v1::JobsResponse* out);
// Adds the pool split's figures to `out`'s pools (PoolStatus by index); nothing without a split.
void FillSplit(const Cluster& cluster, v1::PoolsResponse* out);
// Returns the one-line status summary (rates, shares by state, pool, units, share path).
std::string StatusLine(const Cluster& cluster);

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_STATUS_VIEWS_H_
