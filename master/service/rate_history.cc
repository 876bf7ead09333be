#include "master/service/rate_history.h"

#include <algorithm>

namespace synth::service {
namespace {

void FillWindows(const RateHistory& h, absl::Time now, double RatePoint::*total,
                 v1::RateWindows* out) {
  out->set_last_5s_hps(h.DifficultyRate(now, absl::Seconds(5), total));
  out->set_last_1m_hps(h.DifficultyRate(now, absl::Minutes(1), total));
  out->set_last_15m_hps(h.DifficultyRate(now, absl::Minutes(15), total));
}

}  // namespace

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

void RateHistory::Fill(absl::Time now, double reported_now, absl::Duration history,
                       v1::StatusResponse* out) const {
  v1::RateWindows* r = out->mutable_reported_rates();
  // The 5 s window also counts the rate right now, so a fresh master does not show 0.
  double mean5 = MeanReported(now, absl::Seconds(5));
  r->set_last_5s_hps(mean5 > 0 ? mean5 : reported_now);
  r->set_last_1m_hps(MeanReported(now, absl::Minutes(1)));
  r->set_last_15m_hps(MeanReported(now, absl::Minutes(15)));
  if (r->last_1m_hps() == 0) r->set_last_1m_hps(r->last_5s_hps());
  if (r->last_15m_hps() == 0) r->set_last_15m_hps(r->last_1m_hps());
  FillWindows(*this, now, &RatePoint::verified_difficulty, out->mutable_verified_rates());
  FillWindows(*this, now, &RatePoint::accepted_difficulty, out->mutable_accepted_rates());
  if (history <= absl::ZeroDuration()) return;
  for (const RatePoint& p : Since(now - std::min(history, absl::Minutes(15)))) {
    v1::RateSample* s = out->add_history();
    s->set_unix_s(absl::ToDoubleSeconds(p.at - absl::UnixEpoch()));
    s->set_reported_hps(p.reported_hps);
    s->set_verified_hps(p.verified_hps);
  }
}

}  // namespace synth::service
