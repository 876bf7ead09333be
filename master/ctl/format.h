// File: master/ctl/format.h
//
// Renderings of ControlService responses for synthctl: aligned tables for people and stable
// snake_case JSON for scripts (docs/SYNTHCTL.md documents both).
//
//   std::printf("%s", FormatStatus(status_response).c_str());
//   std::printf("%s\n", ToJson(status_response).c_str());
//
// Thread-safe: pure functions.
#ifndef SYNTH_MASTER_CTL_FORMAT_H_
#define SYNTH_MASTER_CTL_FORMAT_H_

#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "synth/v1/control.pb.h"

namespace synth::ctl {

// Returns `m` as one-line JSON with proto field names (snake_case), every field present, and
// 64-bit integers as JSON numbers (proto JSON would print them as strings).
std::string ToJson(const google::protobuf::Message& m);

// Returns the multi-line cluster summary (rate windows, pool, difficulty, shares, job age).
std::string FormatStatus(const v1::StatusResponse& s);
// Returns one row per worker, with its devices indented below.
std::string FormatWorkers(const v1::WorkersResponse& w);
// Returns one row per device (WORKER, DEVICE, ...).
std::string FormatDevices(const v1::WorkersResponse& w);
// Returns the ledger totals and one row per recent share (verdict and reason).
std::string FormatShares(const v1::SharesResponse& s);
// Returns "found N = accepted a + ..." and whether the sum reconciles.
std::string FormatSharesSummary(const v1::SharesResponse& s);
// Returns one row per live job.
std::string FormatJobs(const v1::JobsResponse& j);
// Returns one row per pool, then FormatSplit's table when the master splits its work.
std::string FormatPools(const v1::PoolsResponse& p);
// Returns the pool split: its state, then per pool the weight, level, target share, hashes
// assigned and verified work (accepted difficulty x 2^32) with their shares of the total.
std::string FormatSplit(const v1::PoolsResponse& p);
// Returns the one-line result of drain/undrain.
std::string FormatDrain(const v1::DrainResponse& d);
// Returns the one-line result of a pool switch.
std::string FormatSwitchPool(const v1::SwitchPoolResponse& r);
// Returns one frame of `synthctl watch`: rate windows, a sparkline of status.history
// (reported rate, at most `width` cells) and per-worker rates.
std::string FormatWatch(const v1::StatusResponse& s, const v1::WorkersResponse& w, int width);

// Returns `values` as a unicode block sparkline ("▁▂▃▄▅▆▇█"), scaled to its max; at most
// `width` cells (the last ones, averaging groups when longer).
std::string Sparkline(const std::vector<double>& values, int width);
// Returns found - (sum of the named states + pending); 0 when the ledger reconciles.
int64_t LedgerGap(const v1::ShareCounts& c);
// Returns "accepted", "stale", ... for a ShareState (proto/share_states.h).
std::string StateName(v1::ShareState s);

}  // namespace synth::ctl

#endif  // SYNTH_MASTER_CTL_FORMAT_H_
