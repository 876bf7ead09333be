// File: kernels/tuning.h
//
// Launch parameters of the sha256d kernel per compute capability (one table, tuning.cc), as the
// host wrapper uses them. Values for sm_90 come from measurements on an H100 (docs/GPU.md); the
// others are starting points scaled from it and not yet measured.
//
//   KernelTuning t = TuningFor(9, 0);
//   // t.threads_per_block, t.nonces_per_thread, t.add_mode, t.launch_nonces, ...
//
// Thread-safety: pure functions over a constant table.
#ifndef SYNTH_KERNELS_TUNING_H_
#define SYNTH_KERNELS_TUNING_H_

#include <cstdint>

namespace synth::kernels {

struct KernelTuning {
  int cc = 0;                   // major * 10 + minor this row is for (0: the fallback row).
  int threads_per_block = 256;  // Multiple of 32, <= 512.
  int nonces_per_thread = 8;    // One midstate per launch: loop count inside one thread.
  int add_mode = 13;            // One midstate per launch: see kernels/sha256_rounds.cuh.
  int rolling_add_mode = 6;     // Several midstates per launch (version rolling).
  int rolling_nonces_per_thread = 1;  // Several midstates: 1 = the kernel without the loop.
  int rolling_threads_per_block = 512;  // Several midstates (the kernel caps 8 at 256).
  uint64_t launch_nonces = uint64_t{1} << 24;  // First launch's size (then adapted).
  double target_batch_ms = 15;                 // The feeder sizes launches to take about this long.
  int max_mids = 4;  // Midstates per launch with version rolling: 1, 2, 4 or 8.

  // The add mode of a launch of `mids` midstates.
  int AddModeFor(int mids) const { return mids > 1 ? rolling_add_mode : add_mode; }
  // The threads per block of a launch of `mids` midstates, before the kernel's cap.
  int ThreadsPerBlockFor(int mids) const {
    return mids > 1 ? rolling_threads_per_block : threads_per_block;
  }
  // The nonces per thread of a launch of `mids` midstates.
  int NoncesPerThreadFor(int mids) const {
    return mids > 1 ? rolling_nonces_per_thread : nonces_per_thread;
  }
};

// Returns the row for compute capability major.minor (the closest older row of the same major
// when there is no exact one, the fallback row otherwise).
KernelTuning TuningFor(int major, int minor);

}  // namespace synth::kernels

#endif  // SYNTH_KERNELS_TUNING_H_
