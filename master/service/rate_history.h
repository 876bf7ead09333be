// File: master/service/rate_history.h
//
// The cluster's rate over time: the one rate history of the master, behind `synthctl status`
// (5 s / 1 min / 15 min windows), the sparkline of `synthctl watch` and the dashboard's chart
// (/api/status). The Cluster adds one point about once a second: the reported and verified
// rates at that moment and the running totals of verified and accepted share difficulty; window
// rates come from the growth of those totals (difficulty · 2^32 per second of window).
//
//   RateHistory h(absl::Minutes(15));
//   h.Add({.at = now, .reported_hps = 4e7, .verified_difficulty = 1.5, .accepted_difficulty = 1.4});
//   double r = h.MeanReported(now, absl::Seconds(5));
//   double v = h.DifficultyRate(now, absl::Minutes(1), &RatePoint::verified_difficulty);
//
// Thread-compatible: the owner (service::Cluster) serializes every call.
#ifndef SYNTH_MASTER_SERVICE_RATE_HISTORY_H_
#define SYNTH_MASTER_SERVICE_RATE_HISTORY_H_

#include <deque>
#include <vector>

#include "absl/time/time.h"
#include "synth/v1/control.pb.h"

namespace synth::service {

// One sample.
struct RatePoint {
  absl::Time at;
  double reported_hps = 0;         // Sum of worker-reported rates, hashes/second.
  double verified_hps = 0;         // Verified rate over the tuning window (~60 s), hashes/second.
  double verified_difficulty = 0;  // Running total of verified share difficulty.
  double accepted_difficulty = 0;  // Running total of accepted share difficulty.
};

class RateHistory {
 public:
  // Keeps points for `keep` (a little more than the longest window asked for).
  explicit RateHistory(absl::Duration keep);

  // Appends a point (points come in time order) and forgets those older than `keep`.
  void Add(const RatePoint& p);

  // Returns the mean reported rate of the points in (now - window, now]; 0 without points.
  double MeanReported(absl::Time now, absl::Duration window) const;

  // Returns (newest total - total at the window's start) · 2^32 / elapsed, hashes/second, for
  // the running total `field`. The window's start is the newest point at or before
  // now - window, or the oldest point when the history is shorter. 0 without two points.
  double DifficultyRate(absl::Time now, absl::Duration window,
                        double RatePoint::*field) const;

  // Returns the points newer than `since`, oldest first.
  std::vector<RatePoint> Since(absl::Time since) const;

  // Fills the rate windows of `out` at `now` (the reported 5 s window falls back on
  // `reported_now` while it has no point) and, for `history` > 0, the points of the last
  // `history` (at most 15 minutes) as out->history.
  void Fill(absl::Time now, double reported_now, absl::Duration history,
            v1::StatusResponse* out) const;

  // Returns the time of the newest point (InfinitePast when empty).
  absl::Time newest() const { return points_.empty() ? absl::InfinitePast() : points_.back().at; }

  size_t size() const { return points_.size(); }

 private:
  const absl::Duration keep_;
  std::deque<RatePoint> points_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_RATE_HISTORY_H_
