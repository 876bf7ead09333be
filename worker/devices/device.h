// File: worker/devices/device.h
//
// A hashing device as the worker's scheduler sees it: one CPU hashing thread (through a
// common/hash core) or one CUDA GPU (through kernels/). Devices pull work; nobody pushes.
//
//   std::vector<FoundNonce> found;
//   absl::StatusOr<uint64_t> done = device->Scan(works, start, count, &cancel, &found);
//
// Thread-compatibility: each Device is driven by one scheduler thread at a time; Info() and
// Telemetry() may be called from any thread.
#ifndef SYNTH_WORKER_DEVICES_DEVICE_H_
#define SYNTH_WORKER_DEVICES_DEVICE_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/hash/scan.h"

namespace synth::worker {

enum class DeviceKind { kCpu, kCuda };

// Returns "cpu" or "cuda".
const char* DeviceKindName(DeviceKind kind);

// Constant after construction.
struct DeviceInfo {
  std::string name;   // Stable id within the worker: "cpu0", "cpu1", "cuda0".
  DeviceKind kind = DeviceKind::kCpu;
  std::string impl;   // Implementation: hash core name ("sha-ni") or GPU model + kernel.
};

// A share candidate: nonce `nonce` of works[work_index] met the target.
struct FoundNonce {
  uint32_t work_index = 0;
  uint32_t nonce = 0;
};

// Hardware readings where the device has them (NVML for GPUs); unset fields are unknown.
struct DeviceTelemetry {
  std::optional<double> temperature_c;
  std::optional<double> power_w;
  std::optional<double> sm_clock_mhz;
  std::optional<double> utilization_pct;
};

class Device {
 public:
  virtual ~Device() = default;

  virtual const DeviceInfo& Info() const = 0;

  // Hashes nonces [start, start + count) (start + count <= 2^32) for each of `works`, which
  // differ only in their midstate (version rolling: same tail, same target), and appends every
  // nonce meeting the target to `found`. Returns the number of hashes done: count *
  // works.size(), or fewer when `cancel` became true (checked at least once per internal batch,
  // so a cancel takes effect within one batch latency). Errors are device failures.
  virtual absl::StatusOr<uint64_t> Scan(std::span<const hash::ScanWork> works, uint32_t start,
                                        uint64_t count, const std::atomic<bool>* cancel,
                                        std::vector<FoundNonce>* found) = 0;

  // The most works one Scan hashes in lockstep: the same nonces of every work advance together,
  // so a Scan that stops early after h hashes has done the first h / works.size() nonces of each
  // (a GPU's version-rolling launch, kernels' max_mids). The scheduler hands a device sibling
  // units (same tail and target) in groups of a power of two up to this. The default is 1.
  virtual int MaxWorksPerScan() const { return 1; }

  // The nonce count that a Scan of `works` works (a power of two up to MaxWorksPerScan) is best
  // a multiple of: a GPU's whole wave of blocks, since a Scan that ends in a partial wave leaves
  // multiprocessors idle. Callers size batches in multiples of it where the range allows.
  // Thread-safe and cheap. The default is 1.
  virtual uint64_t ScanMultiple(int works) const { return 1; }

  // Returns current hardware readings; the default knows none.
  virtual DeviceTelemetry Telemetry() const { return {}; }

  // Called from the watchdog's thread while a Scan has run far past its expected time
  // (worker/scheduler/watchdog.h): makes that Scan return (with an error) and brings the device
  // back for the next one, re-tested. Must be thread-safe and must not block. UNIMPLEMENTED
  // (the default) when the device cannot be interrupted: a CPU hashing thread is waited for.
  virtual absl::Status Recover() {
    return absl::UnimplementedError("a hashing thread cannot be interrupted: waiting for it");
  }
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_DEVICES_DEVICE_H_
