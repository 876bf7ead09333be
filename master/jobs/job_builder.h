// File: master/jobs/job_builder.h
//
// Turns one pool job into midstates (docs/DESIGN.md §2): midstate number i of a job uses
// extranonce2 counter i / V and rolled version number i % V, where V = 2^(bits in the version
// mask), capped at 2^16 (V = 1 without version rolling). With a downstream Stratum port the first
// `prefix_bytes` of extranonce2 are the synth-workers' slot, zero (extranonce_space.h), and the
// counter fills the rest, little-endian. Rolling order inside a job is therefore nonce
// (inside units), then version bits, then extranonce2; every (extranonce2, version) pair gives one
// midstate, and the V midstates of one extranonce2 share the header tail (one version group).
//
//   ASSIGN_OR_RETURN(JobBuilder b, JobBuilder::Create(job, "3/abc"));
//   ASSIGN_OR_RETURN(Midstate m, b.Build(/*index=*/0, /*midstate_id=*/17, /*group=*/17));
//
// Headers come from common/stratum/job.h (coinbase, merkle root, header layout) and the share
// target from common/bitcoin/uint256.h (TargetFromDifficulty): the same code synth-pool and the
// worker's replay use, so every side draws the share boundary at the same bit.
//
// Thread-compatible: Build() is const.
#ifndef SYNTH_MASTER_JOBS_JOB_BUILDER_H_
#define SYNTH_MASTER_JOBS_JOB_BUILDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/hash/scan.h"
#include "master/jobs/midstate.h"
#include "master/jobs/upstream.h"

namespace synth::jobs {

// Returns OK when `job` can be mined: extranonce2_size in 1..8, difficulty > 0 and finite.
absl::Status ValidateJob(const UpstreamJob& job);

// Returns `prefix_bytes` zero bytes, then `counter` as `size - prefix_bytes` little-endian bytes
// (the counter must fit).
std::vector<uint8_t> Extranonce2Bytes(uint64_t counter, int size, int prefix_bytes = 0);

// Returns the version with rolled value `roll` spread over the set bits of `mask`, lowest first:
// (base & ~mask) | deposit(roll, mask).
uint32_t RollVersion(uint32_t base, uint32_t mask, uint64_t roll);

class JobBuilder {
 public:
  // Validates `job`; `job_key` is the master's key for it. `prefix_bytes` (< the job's
  // extranonce2_size) are kept zero in every extranonce2.
  static absl::StatusOr<JobBuilder> Create(const UpstreamJob& job, std::string job_key,
                                           int prefix_bytes = 0);

  // Returns midstate number `index` of the job. OUT_OF_RANGE when extranonce2 is exhausted.
  absl::StatusOr<Midstate> Build(uint64_t index, uint64_t midstate_id,
                                 uint64_t version_group) const;

  // Midstates per extranonce2 value (V above).
  uint64_t versions_per_extranonce2() const { return versions_; }
  const UpstreamJob& job() const { return job_; }
  const std::string& job_key() const { return job_key_; }
  const hash::Target256& target() const { return target_; }
  int prefix_bytes() const { return prefix_bytes_; }

 private:
  JobBuilder(const UpstreamJob& job, std::string job_key, const hash::Target256& target,
             int prefix_bytes);

  UpstreamJob job_;
  std::string job_key_;
  hash::Target256 target_{};
  uint64_t versions_ = 1;
  int prefix_bytes_ = 0;
};

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_JOB_BUILDER_H_
