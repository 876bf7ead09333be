// File: worker/scheduler/batch_sizer.h
//
// Per-device batch sizing: each device's next batch is sized so that one Device::Scan call
// takes about the target latency at the device's measured rate. Short batches keep cancels
// and share delivery quick; long ones keep launch/pull overhead negligible.
//
//   BatchSizing sizing{.target = absl::Milliseconds(150)};
//   uint64_t next = NextBatchSize(sizing, /*rate_hps=*/20e6, /*current=*/1 << 16);
//   // next == 262144: growth is limited to 4x per batch; it converges to 3e6 in a few steps.
//
// Pure functions; thread-safe.
#ifndef SYNTH_WORKER_SCHEDULER_BATCH_SIZER_H_
#define SYNTH_WORKER_SCHEDULER_BATCH_SIZER_H_

#include <cstdint>

#include "absl/time/time.h"

namespace synth::worker {

struct BatchSizing {
  absl::Duration target = absl::Milliseconds(150);  // Wanted wall time of one batch.
  uint64_t min_batch = 1 << 10;                      // Nonces.
  uint64_t max_batch = uint64_t{1} << 32;            // Nonces.
  uint64_t max_growth = 4;                           // Largest factor between two batches.
};

// Returns the next batch size in nonces for a device measured at `rate_hps` (hashes/s) whose
// last batch was `current` nonces: rate * target, rounded down to a multiple of 256, growing at
// most max_growth-fold per call, clamped to [min_batch, max_batch]. A rate <= 0 (unknown) keeps
// `current` (clamped).
uint64_t NextBatchSize(const BatchSizing& sizing, double rate_hps, uint64_t current);

}  // namespace synth::worker

#endif  // SYNTH_WORKER_SCHEDULER_BATCH_SIZER_H_
