#include "worker/scheduler/telemetry_window.h"

#include <algorithm>

namespace synth::worker {

void TelemetryWindow::Add(const BatchSample& sample) {
  samples_.push_back(sample);
  if (CountsForRate(sample)) {
    rate_hashes_ += sample.hashes;
    rate_busy_ += sample.latency;
    hashes_ever_ += sample.hashes;
  }
  while (samples_.size() > 1 && (samples_.size() > kMaxSamples || Covered())) PopOldest();
}

bool TelemetryWindow::Covered() const {
  // Nothing hashed yet (only failed batches): they stay, up to the bound.
  if (hashes_ever_ == 0) return false;
  const BatchSample& oldest = samples_.front();
  const bool counts = CountsForRate(oldest);
  const absl::Duration busy = rate_busy_ - (counts ? oldest.latency : absl::ZeroDuration());
  const uint64_t hashes = rate_hashes_ - (counts ? oldest.hashes : 0);
  // The span of busy time, or half of everything the device has hashed: while it is young the
  // older half is its start-up.
  return busy >= span_ || hashes >= hashes_ever_ - hashes_ever_ / 2;
}

void TelemetryWindow::PopOldest() {
  const BatchSample& oldest = samples_.front();
  if (CountsForRate(oldest)) {
    rate_hashes_ -= oldest.hashes;
    rate_busy_ -= oldest.latency;
  }
  samples_.pop_front();
}

double TelemetryWindow::Rate() const {
  const double seconds = absl::ToDoubleSeconds(rate_busy_);
  return seconds > 0 ? static_cast<double>(rate_hashes_) / seconds : 0;
}

double TelemetryWindow::RateOf(size_t begin, size_t end) const {
  uint64_t hashes = 0;
  absl::Duration busy;
  for (size_t i = begin; i < end; ++i) {
    const BatchSample& s = samples_[i];
    if (!CountsForRate(s)) continue;
    hashes += s.hashes;
    busy += s.latency;
  }
  const double seconds = absl::ToDoubleSeconds(busy);
  return seconds > 0 ? static_cast<double>(hashes) / seconds : 0;
}

TelemetrySummary TelemetryWindow::Summary() const {
  TelemetrySummary out;
  const size_t n = samples_.size();
  out.samples = n;
  if (n == 0) return out;
  out.busy_s = absl::ToDoubleSeconds(rate_busy_);
  out.rate_hps = Rate();
  absl::Duration total;
  for (const BatchSample& s : samples_) {
    total += s.latency;
    out.max_latency_ms = std::max(out.max_latency_ms, absl::ToDoubleMilliseconds(s.latency));
    if (s.error) ++out.errors;
  }
  out.mean_latency_ms = absl::ToDoubleMilliseconds(total) / static_cast<double>(n);
  if (n >= 4) {
    const double older = RateOf(0, n / 2);
    const double newer = RateOf(n / 2, n);
    if (older > 0) out.trend = (newer - older) / older;
  }
  return out;
}

}  // namespace synth::worker
