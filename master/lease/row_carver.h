// File: master/lease/row_carver.h
//
// Cuts fresh nonce ranges from one pool's current job for the lease manager (docs/DESIGN.md §2).
// With version rolling, work is cut in rows: the same nonce range of up to `lockstep` midstates
// of one version group (same header tail and target), handed out one member at a time, which a
// GPU worker scans in one launch. Each range comes from the job manager's cache of the pool's
// current job; when the job changes, carving moves to the new job (members of an open row not
// cut yet simply end their carved range at the row's start).
//
//   RowCarver carver(&jobs, /*pool=*/0, /*lockstep=*/4);
//   std::optional<CutRange> r = carver.Next(/*max_count=*/1 << 24);   // nullopt: no job
//   carver.Drop(dead_job_keys);
//
// Thread-compatible: the owner (LeaseManager) serializes every call.
#ifndef SYNTH_MASTER_LEASE_ROW_CARVER_H_
#define SYNTH_MASTER_LEASE_ROW_CARVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "master/jobs/job_manager.h"
#include "master/jobs/midstate.h"

namespace synth::lease {

// A fresh range: nonces [start, start + count) of `midstate`.
struct CutRange {
  std::shared_ptr<const jobs::Midstate> midstate;
  uint32_t start = 0;
  uint64_t count = 0;
};

class RowCarver {
 public:
  RowCarver(jobs::JobManager* jobs, size_t pool, size_t lockstep);

  // Returns the next range, about `max_count` nonces per row member (at least 1); nullopt when
  // the pool has no current job.
  std::optional<CutRange> Next(uint64_t max_count);
  // Stops carving from the given jobs (they died).
  void Drop(const absl::flat_hash_set<std::string>& dead);

 private:
  // Starts a new set of row members from the pool's current job; false when there is none.
  bool TakeMembers();

  jobs::JobManager* const jobs_;
  const size_t pool_;
  const size_t lockstep_;
  // The midstates being carved (one version group) and the current row: units
  // [row_start_, row_start_ + row_count_) of members_[0..row_pos_) are cut.
  std::vector<std::shared_ptr<const jobs::Midstate>> members_;
  uint64_t carve_next_ = 0;  // First nonce of the next row (up to 2^32).
  uint64_t row_start_ = 0;
  uint64_t row_count_ = 0;
  size_t row_pos_ = 0;  // == members_.size(): no row open.
};

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_ROW_CARVER_H_
