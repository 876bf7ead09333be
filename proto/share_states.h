// File: proto/share_states.h
//
// The one table of share states: every state a share can take in the master's ledger, with its
// name (metric label, JSON key, synthctl column, dashboard row), its wire enum and its counter
// in ShareCounts. Whatever lists, names or counts states iterates this table: the share
// validator and ledger (master/shares/), the cluster and HTTP views, the dashboard (it reads the
// list from /api/status) and synthctl's formatter. Adding a state is one row here, plus its enum
// value in worker.proto and its counter field in control.proto.
//
//   for (const ShareStateInfo& s : kShareStates) Print(s.name, (counts.*s.count)());
//   CountShare(v1::SHARE_STATE_STALE, &counts);   // counts.stale() + 1
//   bool reconciles = counts.found() == SumOfStates(counts);
//
// Thread-safe: constant data and pure functions.
#ifndef SYNTH_PROTO_SHARE_STATES_H_
#define SYNTH_PROTO_SHARE_STATES_H_

#include <cstdint>
#include <string_view>

#include "synth/v1/control.pb.h"
#include "synth/v1/worker.pb.h"

namespace synth::proto {

struct ShareStateInfo {
  v1::ShareState state;
  std::string_view name;                          // Lowercase, e.g. "below_target".
  uint64_t (v1::ShareCounts::*count)() const;     // Its counter in ShareCounts...
  void (v1::ShareCounts::*set_count)(uint64_t);  // ... and the counter's setter.
};

// Every ledger state in display order: final verdicts first, PENDING last. A share is in exactly
// one of them, so ShareCounts.found = the sum of their counters.
inline constexpr ShareStateInfo kShareStates[] = {
    {v1::SHARE_STATE_ACCEPTED, "accepted", &v1::ShareCounts::accepted,
     &v1::ShareCounts::set_accepted},
    {v1::SHARE_STATE_REJECTED, "rejected", &v1::ShareCounts::rejected,
     &v1::ShareCounts::set_rejected},
    {v1::SHARE_STATE_STALE, "stale", &v1::ShareCounts::stale,
     &v1::ShareCounts::set_stale},
    {v1::SHARE_STATE_DUPLICATE, "duplicate", &v1::ShareCounts::duplicate,
     &v1::ShareCounts::set_duplicate},
    {v1::SHARE_STATE_BELOW_TARGET, "below_target", &v1::ShareCounts::below_target,
     &v1::ShareCounts::set_below_target},
    {v1::SHARE_STATE_HARDWARE_ERROR, "hardware_error", &v1::ShareCounts::hardware_error,
     &v1::ShareCounts::set_hardware_error},
    {v1::SHARE_STATE_UNKNOWN_UNIT, "unknown_unit", &v1::ShareCounts::unknown_unit,
     &v1::ShareCounts::set_unknown_unit},
    {v1::SHARE_STATE_POOL_DOWN, "pool_down", &v1::ShareCounts::pool_down,
     &v1::ShareCounts::set_pool_down},
    {v1::SHARE_STATE_RATE_LIMITED, "rate_limited", &v1::ShareCounts::rate_limited,
     &v1::ShareCounts::set_rate_limited},
    {v1::SHARE_STATE_TIMED_OUT, "timed_out", &v1::ShareCounts::timed_out,
     &v1::ShareCounts::set_timed_out},
    {v1::SHARE_STATE_LOCAL, "local", &v1::ShareCounts::local, &v1::ShareCounts::set_local},
    {v1::SHARE_STATE_PENDING, "pending", &v1::ShareCounts::pending,
     &v1::ShareCounts::set_pending},
};

// Returns the row of `state`, or nullptr for a value the table does not hold (UNSPECIFIED, or a
// number from a newer peer).
const ShareStateInfo* FindShareState(v1::ShareState state);

// Returns the row's name, or "unspecified" for a state without a row.
std::string_view ShareStateName(v1::ShareState state);

// Returns the counter of `state` in `counts` (0 for a state without a row).
uint64_t CountOf(const v1::ShareCounts& counts, v1::ShareState state);

// Adds `n` (may be negative) to the counter of `state`. A state without a row is a CHECK
// failure: the ledger only counts states of the table.
void CountShare(v1::ShareState state, v1::ShareCounts* counts, int64_t n = 1);

// Returns the sum of every state's counter (found, when the ledger reconciles).
uint64_t SumOfStates(const v1::ShareCounts& counts);

}  // namespace synth::proto

#endif  // SYNTH_PROTO_SHARE_STATES_H_
