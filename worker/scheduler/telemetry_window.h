// File: worker/scheduler/telemetry_window.h
//
// A rolling window over the newest batches of one device, bounded by the device's busy time
// (not by a count of batches): hashing rate, batch latency, errors and the rate's trend. The
// scheduler adds one sample per batch; the master connection reads Summary() for telemetry;
// batch sizing and the watchdog read Rate().
//
// The window holds the fewest newest batches that cover either the span of busy time (2 s by
// default) or half of all the hashes the device has done, whichever is fewer, and always the
// newest batch. Once the device has run a while the span binds and the rate is steady to the
// device's own noise; while it is young its start-up (a cold GPU context or kernel, clocks still
// ramping, a batch size still growing from a small first batch, the start-up calibration) is
// the older half and leaves the rate as soon as the newer batches have hashed as much
// (docs/WORKER.md "Telemetry"). A window bounded by a count of batches spans whatever that count
// takes: 1.5 s of 50 ms batches, 30 s of 1 s batches.
//
//   TelemetryWindow window;
//   window.Add({.hashes = 1 << 20, .latency = absl::Milliseconds(150)});
//   TelemetrySummary s = window.Summary();   // s.rate_hps ~= 7e6
//
// Thread-compatible: callers synchronize (the scheduler holds its mutex).
#ifndef SYNTH_WORKER_SCHEDULER_TELEMETRY_WINDOW_H_
#define SYNTH_WORKER_SCHEDULER_TELEMETRY_WINDOW_H_

#include <cstddef>
#include <cstdint>
#include <deque>

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
  size_t samples = 0;             // Batches in the window.
  double busy_s = 0;              // Busy time the rate covers (its batches' latency), seconds.
  double rate_hps = 0;            // Sum of hashes / sum of latency, hashes per second.
  double mean_latency_ms = 0;     // Mean batch latency, milliseconds.
  double max_latency_ms = 0;      // Largest batch latency in the window, milliseconds.
  uint32_t errors = 0;            // Error samples in the window.
  // Rate trend: (rate of the newer half - rate of the older half) / rate of the older half,
  // halves by count of batches; +0.05 = 5% faster lately. 0 with fewer than 4 samples.
  double trend = 0;
};

class TelemetryWindow {
 public:
  static constexpr absl::Duration kSpan = absl::Seconds(2);
  // Bound on the batches held, for devices whose batches are far shorter than the target
  // (--batch-ms 1, a tiny min_batch): the window then covers less than the span.
  static constexpr size_t kMaxSamples = 2048;

  // `span`: the busy time the rate covers once the device is past its start-up.
  explicit TelemetryWindow(absl::Duration span = kSpan) : span_(span) {}

  // Adds a sample and evicts the oldest batches that the newer ones cover (above).
  void Add(const BatchSample& sample);

  // Returns the window's summary. O(samples).
  TelemetrySummary Summary() const;

  // Returns hashes/s over the window's successful batches; 0 when unknown. O(1).
  double Rate() const;

 private:
  // A failed Scan (no hashes) says nothing about speed: it is not part of the rate.
  static bool CountsForRate(const BatchSample& s) { return !(s.error && s.hashes == 0); }
  // Returns the rate of the samples at positions [begin, end) counted from the oldest.
  double RateOf(size_t begin, size_t end) const;
  // True when the batches after the oldest cover the window without it.
  bool Covered() const;
  void PopOldest();

  const absl::Duration span_;
  std::deque<BatchSample> samples_;  // Oldest first.
  // Totals over the samples that count for the rate, kept as samples come and go (exact:
  // integers and absl::Duration).
  uint64_t rate_hashes_ = 0;
  absl::Duration rate_busy_;
  uint64_t hashes_ever_ = 0;  // Of every sample ever added.
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_SCHEDULER_TELEMETRY_WINDOW_H_
