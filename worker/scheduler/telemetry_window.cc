#include "worker/scheduler/telemetry_window.h"

#include <algorithm>

namespace synth::worker {

void TelemetryWindow::Add(const BatchSample& sample) {
  ring_[next_] = sample;
  next_ = (next_ + 1) % kWindow;
  size_ = std::min(size_ + 1, kWindow);
}

const BatchSample& TelemetryWindow::At(size_t age_from_oldest) const {
  size_t oldest = (next_ + kWindow - size_) % kWindow;
  return ring_[(oldest + age_from_oldest) % kWindow];
}

double TelemetryWindow::RateOf(size_t begin, size_t end) const {
  uint64_t hashes = 0;
  absl::Duration busy;
  for (size_t i = begin; i < end; ++i) {
    const BatchSample& s = At(i);
    if (s.error && s.hashes == 0) continue;  // A failed Scan says nothing about speed.
    hashes += s.hashes;
    busy += s.latency;
  }
  double seconds = absl::ToDoubleSeconds(busy);
  return seconds > 0 ? static_cast<double>(hashes) / seconds : 0;
}

double TelemetryWindow::Rate() const { return RateOf(0, size_); }

TelemetrySummary TelemetryWindow::Summary() const {
  TelemetrySummary out;
  out.samples = size_;
  if (size_ == 0) return out;
  out.rate_hps = Rate();
  absl::Duration total;
  for (size_t i = 0; i < size_; ++i) {
    const BatchSample& s = At(i);
    total += s.latency;
    out.max_latency_ms = std::max(out.max_latency_ms, absl::ToDoubleMilliseconds(s.latency));
    if (s.error) ++out.errors;
  }
  out.mean_latency_ms = absl::ToDoubleMilliseconds(total) / static_cast<double>(size_);
  if (size_ >= 4) {
    double older = RateOf(0, size_ / 2);
    double newer = RateOf(size_ / 2, size_);
    if (older > 0) out.trend = (newer - older) / older;
  }
  return out;
}

}  // namespace synth::worker
