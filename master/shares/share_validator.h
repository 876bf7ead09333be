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
#include "common/stratum/codec.h"
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

// A share from a downstream Stratum miner (master/hub): its submit and what it was told.
struct StratumShareIn {
  std::string job_key;            // The master job its job id stands for.
  uint64_t slot = 0;              // Its connection's extranonce2 slot.
  stratum::SubmitParams params;   // As the miner sent it.
  double difficulty = 0;          // The miner's difficulty when the job was notified.
  uint32_t version_mask = 0;      // Negotiated with the miner (0: no rolling).
};

// The validator's decision.
struct ShareCheck {
  v1::ShareState state = v1::SHARE_STATE_UNKNOWN_UNIT;
  std::string reason;                         // Why, for logs and the verdict.
  std::optional<jobs::UpstreamShare> submit;  // Set when kPending.
  double difficulty = 0;                      // The job's share difficulty.
  bool device_error = false;                  // Counts as a hardware error of the device.
  bool block = false;                         // The hash also meets the block target (nbits).
  double hash_difficulty = 0;  // diff1 / the share's hash when it met its target and was no
                               // duplicate (kPending, kLocal); 0 otherwise. The ledger keeps
                               // the highest (cgminer's "Best Share").
  int code = 0;                               // Stratum shares: the error code for the miner.
};

class ShareValidator {
 public:
  ShareValidator(const jobs::JobManager* jobs, const lease::LeaseManager* leases);

  // Checks one share (steps 1-4 above).
  ShareCheck Validate(const ShareIn& share);

  // Checks a downstream miner's share the same way: its job must be live (else STALE, 21); the
  // header is rebuilt from the job, the pool's extranonce1 + the slot bytes and the miner's
  // extranonce2, ntime and version bits (common/stratum/share_check.h: a bad extranonce2 size,
  // ntime or version bits is UNKNOWN_UNIT, 20; a hash above the miner's difficulty
  // BELOW_TARGET, 23); then deduplicated with the workers' shares (DUPLICATE, 22). A share at
  // the pool's target is PENDING with the submit (difficulty: the pool's); one below it is
  // LOCAL. `difficulty` is the miner's.
  ShareCheck ValidateStratum(const StratumShareIn& share);

  // Forgets the dedupe sets of dead jobs.
  void DropJobs(const std::vector<std::string>& job_keys);

 private:
  // Records (job, extranonce2, ntime, nonce, version); false when seen before.
  bool FirstSeen(const std::string& job_key, const std::vector<uint8_t>& extranonce2,
                 uint32_t ntime, uint32_t nonce, uint32_t version);

  const jobs::JobManager* const jobs_;
  const lease::LeaseManager* const leases_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> seen_;  // job → keys.
};

}  // namespace synth::shares

#endif  // SYNTH_MASTER_SHARES_SHARE_VALIDATOR_H_
