// File: kernels/gpu_scanner.h
//
// Layer 3 of the CUDA hash core: the host wrapper over one GPU. It owns the stream, the device
// result rings and the pinned host buffers, and feeds the kernel (sha256d_kernel.h) so that the
// GPU never idles inside a Scan: launches are queued `in_flight` deep on one stream, each
// launch's candidate ring is copied back asynchronously and read once its event completes, and
// the launch size follows a target batch latency. No CUDA types in this header.
//
//   ASSIGN_OR_RETURN(int n, CountGpus());                    // 0 without GPU or driver
//   ASSIGN_OR_RETURN(std::unique_ptr<GpuScanner> gpu, GpuScanner::Create(0, {}));
//   std::vector<GpuCandidate> cands;
//   ASSIGN_OR_RETURN(uint64_t hashes, gpu->Scan(works, 0, uint64_t{1} << 32, &cancel, &cands));
//   // Each candidate's hash has top word <= target[7]; re-check it fully on the host.
//
// Cancel: `cancel` is polled while waiting for each launch (about every millisecond) and before
// each enqueue; once it is true nothing new is launched and Scan returns when the launches
// already queued finish, i.e. within about one batch latency per queued launch after the first.
//
// Thread-compatibility: one thread drives a GpuScanner at a time; Info() from any thread.
#ifndef SYNTH_KERNELS_GPU_SCANNER_H_
#define SYNTH_KERNELS_GPU_SCANNER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kernels/tuning.h"

namespace synth::kernels {

struct LaunchSlot;  // gpu_scanner.cc: one in-flight launch.

// One midstate of work; all works of one Scan share tail and target (version rolling).
struct GpuWork {
  std::array<uint32_t, 8> midstate{};  // SHA-256 state after header bytes 0..63.
  std::array<uint8_t, 12> tail{};      // Header bytes 64..75.
  std::array<uint32_t, 8> target{};    // Target256 (word 7 most significant).
};

// A nonce of works[work_index] whose hash's top word is <= target[7].
struct GpuCandidate {
  uint32_t work_index = 0;
  uint32_t nonce = 0;
};

struct GpuInfo {
  int ordinal = 0;
  std::string name;        // "NVIDIA H100 80GB HBM3".
  std::string pci_bus_id;  // "0000:01:00.0" (NVML looks devices up by it).
  int cc_major = 0, cc_minor = 0;
  int multiprocessors = 0;
};

// Counters over the scanner's life (for benchmarks and telemetry).
struct GpuScanStats {
  uint64_t launches = 0;
  uint64_t nonces = 0;            // Nonces launched and completed (per midstate group).
  double gpu_ms = 0;              // Sum of launch times measured by events.
  uint64_t overflow_rescans = 0;  // Launches whose ring overflowed and were rescanned.
};

// Returns the number of CUDA devices: 0 when there is no GPU or no driver (not an error).
absl::StatusOr<int> CountGpus();

// Resets GPU `ordinal` for this process now (cudaDeviceReset): running launches are killed and
// every handle of the old context dies with it. For a hung GPU; call from the thread that then
// creates a new GpuScanner.
absl::Status ResetGpu(int ordinal);

class GpuScanner {
 public:
  struct Options {
    int in_flight = 2;           // Launches queued at once (>= 2: double buffering).
    double target_batch_ms = 0;  // 0: the tuning table's value.
    KernelTuning tuning{};       // Used when override_tuning; else TuningFor(cc).
    bool override_tuning = false;
    uint32_t ring_capacity = 4096;  // Candidates per launch before a rescan.
    bool whole_waves = true;        // Launch sizes in whole waves of blocks (tests: false).
    // Polled with `cancel` while waiting for a launch: when it becomes true (the worker's
    // watchdog found a launch hung), Scan returns ABORTED at once and leaves its launches
    // behind; the scanner is then unusable: leak it, ResetGpu, and create a new one.
    const std::atomic<bool>* abort = nullptr;
  };

  // Opens GPU `ordinal` (a stream, one ring and pinned buffer per in-flight launch).
  // NotFound for an ordinal that does not exist, FailedPrecondition for a driver failure.
  static absl::StatusOr<std::unique_ptr<GpuScanner>> Create(int ordinal, const Options& options);
  ~GpuScanner();
  GpuScanner(const GpuScanner&) = delete;
  GpuScanner& operator=(const GpuScanner&) = delete;

  const GpuInfo& Info() const { return info_; }
  const KernelTuning& Tuning() const { return tuning_; }

  // Hashes nonces [start, start + count) (start + count <= 2^32) of every work and appends the
  // candidates to `out` (any order). Returns hashes done (count * works.size() unless
  // cancelled). InvalidArgument for an empty or inconsistent `works` or a bad range; Internal
  // for CUDA failures (the scanner should then be dropped).
  absl::StatusOr<uint64_t> Scan(std::span<const GpuWork> works, uint32_t start, uint64_t count,
                                const std::atomic<bool>* cancel, std::vector<GpuCandidate>* out);

  // Nonces in one whole wave of blocks for a Scan of `mids` works in lockstep (1, 2, 4 or 8;
  // every SM full): a Scan whose count is a multiple of it ends without a partial wave, which
  // leaves SMs idle. 1 when whole-wave launches are off or `mids` is not a launch size.
  uint64_t WaveNonces(int mids);

  // Current launch size in nonces (adapted to the target batch latency).
  uint64_t LaunchNonces() const { return launch_nonces_; }
  const GpuScanStats& Stats() const { return stats_; }

 private:
  struct Impl;
  GpuScanner(GpuInfo info, KernelTuning tuning, const Options& options);

  int ThreadsFor(uint32_t mids) const;  // Block size of a launch of `mids` midstates.
  absl::StatusOr<uint64_t> ScanGroup(std::span<const GpuWork> works, uint32_t first_index,
                                     uint32_t start, uint64_t count,
                                     const std::atomic<bool>* cancel,
                                     std::vector<GpuCandidate>* out);
  // Reads a finished launch's ring (and adapts the launch size to its measured time).
  absl::Status Collect(LaunchSlot& slot, uint32_t first_index, uint32_t g,
                       std::vector<GpuCandidate>* out);
  // Rescans an overflowed launch's range in launches too small to overflow.
  absl::Status Rescan(LaunchSlot& slot, uint32_t first_index, uint32_t g,
                      std::vector<GpuCandidate>* out);

  // Constant after construction.
  const GpuInfo info_;
  const KernelTuning tuning_;
  const Options options_;
  std::unique_ptr<Impl> impl_;
  // Touched by the driving thread only.
  uint64_t launch_nonces_;
  double hashes_per_ms_ = 0;  // Last launch's measured rate (0: none yet).
  GpuScanStats stats_;
};

}  // namespace synth::kernels

#endif  // SYNTH_KERNELS_GPU_SCANNER_H_
