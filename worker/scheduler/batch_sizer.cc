#include "worker/scheduler/batch_sizer.h"

#include <algorithm>
#include <cmath>

namespace synth::worker {

uint64_t NextBatchSize(const BatchSizing& sizing, double rate_hps, uint64_t current) {
  uint64_t lo = std::max<uint64_t>(sizing.min_batch, 1);
  uint64_t hi = std::max(sizing.max_batch, lo);
  uint64_t next = current;
  if (rate_hps > 0 && std::isfinite(rate_hps)) {
    double want = rate_hps * absl::ToDoubleSeconds(sizing.target);
    double cap = static_cast<double>(std::max<uint64_t>(current, 1)) *
                 static_cast<double>(std::max<uint64_t>(sizing.max_growth, 1));
    want = std::min({want, cap, static_cast<double>(hi)});
    next = static_cast<uint64_t>(want) & ~uint64_t{255};
  }
  return std::clamp(next, lo, hi);
}

}  // namespace synth::worker
