// File: worker/scheduler/work_unit.h
//
// What the worker's scheduler hashes and what it hands back: WorkUnits leased by the master
// (docs/DESIGN.md §2: {unit_id, job_id, midstate_id, nonce_start, nonce_count} plus the midstate
// payload resolved to a ScanWork), the shares found in them, and each unit's final outcome.
//
//   WorkUnit unit{.unit_id = 7, .job_id = "j1", .midstate_id = 3,
//                 .work = std::make_shared<const hash::ScanWork>(work),
//                 .nonce_start = 0, .nonce_count = uint64_t{1} << 32};
//
// Every unit given to the scheduler ends in exactly one UnitOutcome (completed, cancelled or
// returned): no unit is lost.
#ifndef SYNTH_WORKER_SCHEDULER_WORK_UNIT_H_
#define SYNTH_WORKER_SCHEDULER_WORK_UNIT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/hash/scan.h"

namespace synth::worker {

// One leased range of nonces of one midstate. Immutable once queued.
struct WorkUnit {
  uint64_t unit_id = 0;       // Master-assigned, unique per master session.
  std::string job_id;         // Master's job id (opaque to the worker).
  uint64_t midstate_id = 0;   // Master's midstate id (opaque to the worker).
  std::shared_ptr<const hash::ScanWork> work;  // Midstate, tail and share target.
  uint32_t nonce_start = 0;   // First nonce.
  uint64_t nonce_count = 0;   // Nonces to hash; nonce_start + nonce_count <= 2^32.
};

// A nonce meeting the unit's share target, checked on the host against the scalar reference.
struct FoundShare {
  uint64_t unit_id = 0;
  std::string job_id;
  uint64_t midstate_id = 0;
  uint32_t nonce = 0;
  std::string device;      // DeviceInfo::name of the device that found it.
  absl::Time found_at;     // When the scheduler got it from the device.
};

enum class UnitState {
  kCompleted,  // Every nonce was hashed.
  kCancelled,  // Dropped by a cancel (its job went stale); hashes_done may be partial.
  kReturned,   // Not finished when the scheduler stopped or a device failed it; give it back.
};

// Returns "completed", "cancelled" or "returned".
const char* UnitStateName(UnitState state);

// The end of one unit's life in the scheduler.
struct UnitOutcome {
  uint64_t unit_id = 0;
  std::string job_id;
  UnitState state = UnitState::kCompleted;
  uint64_t hashes_done = 0;  // Nonces hashed for this unit.
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_SCHEDULER_WORK_UNIT_H_
