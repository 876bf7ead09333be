// File: worker/scheduler/telemetry_window.h
//
// A rolling window of the last 30 batches of one device: hashing rate, batch latency, errors
// and the rate's trend. The scheduler adds one sample per batch; the master connection reads
// Summary() for telemetry; batch sizing reads the rate.
//
//   TelemetryWindow window;
//   window.Add({.hashes = 1 << 20, .latency = absl::Milliseconds(150)});
//   TelemetrySummary s = window.Summary();   // s.rate_hps ~= 7e6
//
// Thread-compatible: callers synchronize (the scheduler holds its mutex).
#ifndef SYNTH_WORKER_SCHEDULER_TELEMETRY_WINDOW_H_
#define SYNTH_WORKER_SCHEDULER_TELEMETRY_WINDOW_H_

#include <array>
#include <cstdint>
#include <cstddef>

#include "absl/time/time.h"

namespace synth::worker {

// One batch as the scheduler saw it.
struct BatchSample {
  uint64_t hashes = 0;        // Hashes done in the batch.
  absl::Duration latency;     // Wall time of Device::Scan.
  bool error = false;         // Scan failed or returned a nonce that did not verify.
};

// What the window says. Zeros while empty.
struct TelemetrySummary {
  size_t samples = 0;             // Samples in the window (<= kWindow).
  double rate_hps = 0;            // Sum of hashes / sum of latency, hashes per second.
  double mean_latency_ms = 0;     // Mean batch latency, milliseconds.
  double max_latency_ms = 0;      // Largest batch latency in the window, milliseconds.
  uint32_t errors = 0;            // Error samples in the window.
  // Rate trend: (rate of the newer half - rate of the older half) / rate of the older half;
  // +0.05 = 5% faster lately. 0 with fewer than 4 samples.
  double trend = 0;
};

class TelemetryWindow {
 public:
  static constexpr size_t kWindow = 30;

  // Adds a sample, evicting the oldest once kWindow samples are held.
  void Add(const BatchSample& sample);

  // Returns the window's summary.
  TelemetrySummary Summary() const;

  // Returns hashes/s over the window's successful batches; 0 when unknown.
  double Rate() const;

 private:
  // Returns the rate of the samples at ages [begin, end) counted from the oldest.
  double RateOf(size_t begin, size_t end) const;
  const BatchSample& At(size_t age_from_oldest) const;

  std::array<BatchSample, kWindow> ring_{};
  size_t next_ = 0;   // Slot the next sample goes to.
  size_t size_ = 0;
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_SCHEDULER_TELEMETRY_WINDOW_H_
