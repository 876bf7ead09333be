// File: master/ctl/multi_status.h
//
// `synthctl --master A:4650,B:4650 status`: the status of every master of a farm that runs
// several (independent masters, docs/DEPLOY.md "Two masters") and the cluster total.
//
//   std::vector<MasterStatus> all = ...;                  // one Status call per master
//   std::printf("%s", FormatMultiStatus(all).c_str());    // a block per master, then the total
//   std::printf("%s\n", MultiStatusJson(all).c_str());    // {"masters":[...],"total":{...}}
//
// Thread-safe: pure functions.
#ifndef SYNTH_MASTER_CTL_MULTI_STATUS_H_
#define SYNTH_MASTER_CTL_MULTI_STATUS_H_

#include <string>
#include <vector>

#include "synth/v1/control.pb.h"

namespace synth::ctl {

// One master's answer, or why there is none.
struct MasterStatus {
  std::string address;           // As given to --master.
  bool ok = false;
  std::string error;             // When !ok: "unreachable: ..." or the master's error.
  v1::StatusResponse status;     // When ok.
};

// Returns the farm total over the masters that answered: workers (and draining), the three
// rate figures and their windows, share counts by state, units queued and leased. Per-master
// fields (pool, job, uptime, latencies) stay empty.
v1::StatusResponse SumStatuses(const std::vector<MasterStatus>& masters);

// Returns one FormatStatus block per master under a "== master ADDRESS" line (or its error),
// then the cluster total.
std::string FormatMultiStatus(const std::vector<MasterStatus>& masters);

// Returns {"masters":[{"master":"A","ok":true,"status":{...}},{"master":"B","ok":false,
// "error":"..."}],"masters_up":1,"total":{...StatusResponse fields...}} on one line.
std::string MultiStatusJson(const std::vector<MasterStatus>& masters);

}  // namespace synth::ctl

#endif  // SYNTH_MASTER_CTL_MULTI_STATUS_H_
