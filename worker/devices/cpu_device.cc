#include "worker/devices/cpu_device.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace synth::worker {

CpuDevice::CpuDevice(std::string name, const hash::HashCore* core, uint64_t batch_nonces)
    : info_{std::move(name), DeviceKind::kCpu, std::string(core->Name())},
      core_(core),
      batch_nonces_(std::max<uint64_t>(batch_nonces, 1)) {}

absl::StatusOr<uint64_t> CpuDevice::Scan(std::span<const hash::ScanWork> works, uint32_t start,
                                         uint64_t count, const std::atomic<bool>* cancel,
                                         std::vector<FoundNonce>* found) {
  if (start + count > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(
        absl::StrCat("nonce range ", start, " + ", count, " runs past 2^32"));
  }
  uint64_t done = 0;
  for (uint64_t offset = 0; offset < count; offset += batch_nonces_) {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return done;
    const uint64_t n = std::min(batch_nonces_, count - offset);
    const uint32_t first = start + static_cast<uint32_t>(offset);
    if (works.size() == 1) {
      scratch_.clear();
      core_->Scan(works[0], first, n, &scratch_);
      for (uint32_t nonce : scratch_) found->push_back(FoundNonce{0, nonce});
    } else {
      row_scratch_.clear();
      core_->ScanRow(works, first, n, &row_scratch_);
      for (const hash::RowFound& f : row_scratch_) found->push_back(FoundNonce{f.work, f.nonce});
    }
    done += n * works.size();
  }
  return done;
}

}  // namespace synth::worker
