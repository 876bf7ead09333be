// File: master/shares/share_validator.h
//
// Verifies every share a worker reports before anything goes upstream (docs/DESIGN.md §5, §6):
//   1. the unit must be a unit of a live job, with matching midstate and job, and the nonce in
//      its range (UNKNOWN_UNIT; a unit of a job that has died is STALE);
//   2. sha256d is recomputed from the midstate's header; a hash above the share target is
//      BELOW_TARGET when within 2^16× of it (a real candidate compared against the wrong target)
//      and HARDWARE_ERROR otherwise (garbage: a faulty device or a forged share);
//   3. (job, extranonce2, ntime, nonce, version) seen before is DUPLICATE;
//   4. otherwise the share is PENDING with the mining.submit to send.
// States are v1::ShareState (the one table: proto/share_states.h). The validator only decides;
// the share ledger (share_ledger.h) counts and answers.
//
//   ShareValidator validator(&jobs, &leases);
//   ShareCheck c = validator.Validate({.worker = 7, .unit_id = u, .midstate_id = m,
//                                      .job_key = k, .nonce = n, .device = "cpu0"});
//   if (c.state == v1::SHARE_STATE_PENDING) upstream->Submit(*c.submit, ...);
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
#include "synth/v1/worker.pb.h"

namespace synth::shares {

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
  v1::ShareState state = v1::SHARE_STATE_UNKNOWN_UNIT;
  std::string reason;                         // Why, for logs and the verdict.
  std::optional<jobs::UpstreamShare> submit;  // Set when kPending.
  double difficulty = 0;                      // The job's share difficulty.
  bool device_error = false;                  // Counts as a hardware error of the device.
  bool block = false;                         // The hash also meets the block target (nbits).
};

class ShareValidator {
 public:
  ShareValidator(const jobs::JobManager* jobs, const lease::LeaseManager* leases);

  // Checks one share (steps 1-4 above).
  ShareCheck Validate(const ShareIn& share);

  // Forgets the dedupe sets of dead jobs.
  void DropJobs(const std::vector<std::string>& job_keys);

 private:

  const jobs::JobManager* const jobs_;
  const lease::LeaseManager* const leases_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> seen_;  // job → keys.
};

}  // namespace synth::shares

#endif  // SYNTH_MASTER_SHARES_SHARE_VALIDATOR_H_
