// File: common/metrics/sample_window.h
//
// The last N samples of a measurement (a latency, say) and their percentiles: for figures like
// "share found → submitted, p50/p99 over the last 2000 shares".
//
//   metrics::SampleWindow path(2000);
//   path.Add(0.12);                             // any thread
//   auto [p99, n] = path.Percentile(0.99);      // value and how many samples it is over
//
// Thread-safe: one short mutex; Percentile copies the window and sorts outside it.
#ifndef SYNTH_COMMON_METRICS_SAMPLE_WINDOW_H_
#define SYNTH_COMMON_METRICS_SAMPLE_WINDOW_H_

#include <cstddef>
#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace synth::metrics {

class SampleWindow {
 public:
  explicit SampleWindow(size_t capacity) : capacity_(capacity) {}

  // Adds a sample, forgetting the oldest beyond the capacity.
  void Add(double value);
  // Returns the `p` (0..1) percentile of the window (nearest rank) and the number of samples;
  // {0, 0} when empty.
  std::pair<double, size_t> Percentile(double p) const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  std::deque<double> samples_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::metrics

#endif  // SYNTH_COMMON_METRICS_SAMPLE_WINDOW_H_
