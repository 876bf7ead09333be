#include "worker/conn/backoff.h"

#include <algorithm>
#include <cmath>

namespace synth::worker {

absl::Duration Backoff::Next() {
  double base = absl::ToDoubleSeconds(policy_.initial) *
                std::pow(std::max(policy_.multiplier, 1.0), attempts_);
  base = std::min(base, absl::ToDoubleSeconds(policy_.max));
  ++attempts_;
  double j = std::clamp(policy_.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> spread(1.0 - j, 1.0 + j);
  return absl::Seconds(base * spread(rng_));
}

}  // namespace synth::worker
