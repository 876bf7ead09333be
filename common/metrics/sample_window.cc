#include "common/metrics/sample_window.h"

#include <algorithm>
#include <vector>

namespace synth::metrics {

void SampleWindow::Add(double value) {
  absl::MutexLock lock(&mu_);
  samples_.push_back(value);
  if (samples_.size() > capacity_) samples_.pop_front();
}

std::pair<double, size_t> SampleWindow::Percentile(double p) const {
  std::vector<double> v;
  {
    absl::MutexLock lock(&mu_);
    v.assign(samples_.begin(), samples_.end());
  }
  if (v.empty()) return {0, 0};
  size_t i = std::min(v.size() - 1, static_cast<size_t>(std::clamp(p, 0.0, 1.0) * v.size()));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return {v[i], v.size()};
}

}  // namespace synth::metrics
