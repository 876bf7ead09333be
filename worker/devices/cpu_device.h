// File: worker/devices/cpu_device.h
//
// A Device for one CPU hashing thread over a common/hash core. The worker creates one per CPU
// thread it hashes on (see registry.h); the scheduler thread that drives it does the hashing.
//
//   CpuDevice cpu("cpu0", core);
//   std::vector<FoundNonce> found;
//   absl::StatusOr<uint64_t> done = cpu.Scan(works, 0, uint64_t{1} << 24, &cancel, &found);
//
// Scan() hashes in batches of batch_nonces (default 2^16, about a millisecond on one core) and
// checks `cancel` before each batch. Found nonces are exact (every nonce meeting the target).
// Several works (sibling midstates of version rolling) advance in lockstep, batch by batch,
// through the core's ScanRow, which shares each nonce's message schedule among them (the lane
// cores: ~15% fewer cycles per header with 4 siblings, docs/HASHING.md).
//
// Thread-compatibility: as Device: one driving thread at a time; Info() from any thread.
#ifndef SYNTH_WORKER_DEVICES_CPU_DEVICE_H_
#define SYNTH_WORKER_DEVICES_CPU_DEVICE_H_

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/hash/scan.h"
#include "worker/devices/device.h"

namespace synth::worker {

class CpuDevice final : public Device {
 public:
  static constexpr uint64_t kDefaultBatchNonces = uint64_t{1} << 16;

  // `core` must outlive the device (hash cores are static singletons).
  CpuDevice(std::string name, const hash::HashCore* core,
            uint64_t batch_nonces = kDefaultBatchNonces);

  const DeviceInfo& Info() const override { return info_; }

  // The core's row size (HashCore::MaxRow): 8 for the lane cores, else 1.
  int MaxWorksPerScan() const override { return core_->MaxRow(); }

  // See Device::Scan. InvalidArgument when start + count exceeds 2^32.
  absl::StatusOr<uint64_t> Scan(std::span<const hash::ScanWork> works, uint32_t start,
                                uint64_t count, const std::atomic<bool>* cancel,
                                std::vector<FoundNonce>* found) override;

 private:
  // Constant after construction.
  const DeviceInfo info_;
  const hash::HashCore* const core_;
  const uint64_t batch_nonces_;
  // Reused per batch; touched only by the driving thread.
  std::vector<uint32_t> scratch_;
  std::vector<hash::RowFound> row_scratch_;
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_DEVICES_CPU_DEVICE_H_
