#include "master/service/rate_history.h"

namespace synth::service {

RateHistory::RateHistory(absl::Duration keep) : keep_(keep) {}

void RateHistory::Add(const RatePoint& p) {
  points_.push_back(p);
  while (points_.size() > 2 && points_.front().at < p.at - keep_) points_.pop_front();
}

double RateHistory::MeanReported(absl::Time now, absl::Duration window) const {
  double sum = 0;
  size_t n = 0;
  for (auto it = points_.rbegin(); it != points_.rend() && it->at > now - window; ++it) {
    sum += it->reported_hps;
    ++n;
  }
  return n > 0 ? sum / static_cast<double>(n) : 0;
}

double RateHistory::DifficultyRate(absl::Time now, absl::Duration window,
                                   double RatePoint::*field) const {
  if (points_.size() < 2) return 0;
  const RatePoint& newest = points_.back();
  const RatePoint* start = &points_.front();
  for (auto it = points_.rbegin(); it != points_.rend(); ++it) {
    if (it->at <= now - window) {
      start = &*it;
      break;
    }
  }
  double elapsed = absl::ToDoubleSeconds(newest.at - start->at);
  if (elapsed <= 0) return 0;
  return (newest.*field - start->*field) * 4294967296.0 / elapsed;
}

std::vector<RatePoint> RateHistory::Since(absl::Time since) const {
  std::vector<RatePoint> out;
  for (const RatePoint& p : points_) {
    if (p.at > since) out.push_back(p);
  }
  return out;
}

}  // namespace synth::service
