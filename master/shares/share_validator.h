// File: master/shares/share_validator.h
//
// Verifies every share a worker reports before anything goes upstream (docs/DESIGN.md §5, §6):
//   1. the unit must be a unit of a live job, with matching midstate and job, and the nonce in
//      its range (UNKNOWN_UNIT; a unit of a job that has died is STALE);
//   2. sha256d is recomputed from the midstate's header; a hash above the share target is
//      BELOW_TARGET when within 2^16× of it (a real candidate compared against the wrong target)
//      and HARDWARE_ERROR otherwise (garbage: a faulty device or a forged share);
//   3. (job, extranonce2, ntime, nonce, version) seen before is DUPLICATE;
//   4. otherwise the share is PENDING with the mining.submit to send; the caller submits it and
//      records the pool's answer with Resolve().
// The validator keeps the ledger: found = sum of final states + pending.
//
//   ShareValidator validator(&jobs, &leases);
//   ShareCheck c = validator.Validate({.worker = 7, .unit_id = u, .midstate_id = m,
//                                      .job_key = k, .nonce = n, .device = "cpu0"});
//   if (c.state == ShareState::kPending) upstream->Submit(*c.submit, ...);
//   ... validator.Resolve(ShareState::kAccepted, c.difficulty);
//
// Thread-compatible: the owner (service::Cluster) serializes every call.
#ifndef SYNTH_MASTER_SHARES_SHARE_VALIDATOR_H_
#define SYNTH_MASTER_SHARES_SHARE_VALIDATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "common/hash/sha256.h"
#include "master/jobs/job_manager.h"
#include "master/jobs/upstream.h"
#include "master/lease/lease_manager.h"

namespace synth::shares {

// Final (or pending) state of a share; mirrors synth.v1.ShareState.
enum class ShareState {
  kPending,  // Valid, submitted upstream, no answer yet.
  kAccepted,
  kRejected,
  kStale,
  kDuplicate,
  kBelowTarget,
  kHardwareError,
  kUnknownUnit,
  kPoolDown,
  kRateLimited,  // Over the worker's share rate limit: counted, not verified.
};

// Returns a short lowercase name ("accepted", "below_target", ...).
const char* ShareStateName(ShareState state);

// A share as reported by a worker.
struct ShareIn {
  uint64_t worker = 0;  // Session id.
  uint64_t unit_id = 0;
  uint64_t midstate_id = 0;
  std::string job_key;
  uint32_t nonce = 0;
  std::string device;
};

// The validator's decision.
struct ShareCheck {
  ShareState state = ShareState::kUnknownUnit;
  std::string reason;                         // Why, for logs and the verdict.
  std::optional<jobs::UpstreamShare> submit;  // Set when kPending.
  double difficulty = 0;                      // The job's share difficulty.
  bool device_error = false;                  // Counts as a hardware error of the device.
  bool block = false;                         // The hash also meets the block target (nbits).
};

// Ledger totals (synth.v1.ShareCounts).
struct ShareCounts {
  uint64_t found = 0, accepted = 0, rejected = 0, stale = 0, duplicate = 0, below_target = 0,
           hardware_error = 0, unknown_unit = 0, pool_down = 0, pending = 0,
           rate_limited = 0;
  double accepted_difficulty = 0;
  // The highest difficulty a share's hash reached (diff1 / hash; cgminer's "Best Share"),
  // over the shares that met their target and were not duplicates.
  double best_difficulty = 0;
};

// Returns the target for compact `nbits` (mantissa · 256^(exponent-3)), saturating.
hash::Target256 CompactToTarget(uint32_t nbits);

class ShareValidator {
 public:
  ShareValidator(const jobs::JobManager* jobs, const lease::LeaseManager* leases);

  // Checks one share (steps 1-4 above) and counts it as found (and, unless pending, final).
  ShareCheck Validate(const ShareIn& share);

  // Counts a share that is not checked at all (rate-limited) as found and `state`.
  void CountUnchecked(ShareState state);

  // Records the final state of a share that Validate() left pending.
  void Resolve(ShareState final_state, double difficulty);

  // Forgets the dedupe sets of dead jobs.
  void DropJobs(const std::vector<std::string>& job_keys);

  const ShareCounts& counts() const { return counts_; }

 private:
  ShareCheck Decide(const ShareIn& share);
  void Count(ShareState state, double difficulty);

  const jobs::JobManager* const jobs_;
  const lease::LeaseManager* const leases_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> seen_;  // job → keys.
  ShareCounts counts_;
};

}  // namespace synth::shares

#endif  // SYNTH_MASTER_SHARES_SHARE_VALIDATOR_H_
