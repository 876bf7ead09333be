// File: master/lease/tuning.h
//
// Per worker and per device: the rate the worker reports (telemetry), the rate its verified
// shares imply (difficulty × 2^32 per share over a sliding window), hardware errors, and what
// follows from them (docs/DESIGN.md §5): the rate used to size the worker's leases, its work ratio
// (its share of the cluster's rate), and the backoff of devices whose shares fail verification
// more than 5% of the time (flagged, and left out of the lease sizing rate).
//
// A worker is credited with its reported rate while its verified shares agree with it: the
// report is known within a telemetry interval, while a rate estimated from shares needs ~400 of
// them to be within 5% (a slow worker at a realistic pool difficulty finds one a minute).
// Once its shares could tell (at least 20 expected in the window) and their count is more than
// 4 standard deviations from what the report predicts (Poisson), the worker is credited with
// its verified rate instead: a worker that over-reports loses its credit. docs/CLUSTER.md
// "Tuning"; docs/BENCHMARKS.md "Tuning convergence" measures how fast ratios settle.
//
//   Tuning tuning({}, &clock);
//   tuning.AddWorker(7, {{"cpu0", "cpu", "sha-ni", 40e6}});
//   tuning.OnTelemetry(7, "cpu0", 41e6, 120.0);
//   tuning.OnShare(7, "cpu0", /*valid=*/true, /*difficulty=*/8);
//   leases.SetRate(7, tuning.SizingRate(7));
//
// Thread-compatible: the owner (service::Cluster) serializes every call.
#ifndef SYNTH_MASTER_LEASE_TUNING_H_
#define SYNTH_MASTER_LEASE_TUNING_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace synth::lease {

// One device as announced and as measured.
struct DeviceRecord {
  std::string name;
  std::string kind;  // "cpu" / "cuda".
  std::string impl;
  double benchmarked_rate_hps = 0;  // From Hello.
  double reported_rate_hps = 0;     // Telemetry, smoothed (Options::smoothing).
  double reported_busy_s = 0;       // The most busy time a report's window has covered.
  double batch_latency_ms = 0;      // Latest telemetry.
  uint64_t shares_valid = 0;
  uint64_t hardware_errors = 0;
  bool flagged = false;
  std::deque<std::pair<absl::Time, double>> verified;  // (time, difficulty) in the window.
  absl::Time reported_at = absl::InfinitePast();       // Last telemetry; InfinitePast: none yet.
  bool hung = false;    // The worker's watchdog has it hung (telemetry).
  uint64_t hangs = 0;   // Hangs the worker reported.
};

class Tuning {
 public:
  struct Options {
    double hw_error_limit = 0.05;               // Flag a device above this error ratio...
    uint64_t min_shares_to_flag = 10;           // ...once it has sent at least this many shares.
    absl::Duration window = absl::Seconds(60);  // Verified-rate window.
    // Time constant of the exponential average of a device's telemetry (0: the latest report).
    // The first report replaces the Hello's benchmark at once, and so does every report whose
    // window covers `young_growth` times more busy time than any before it: the device is
    // young and its worker's window, still growing, is a better measurement than any average
    // of the shorter ones. Later reports are averaged, so one noisy report does not swing the
    // work ratios.
    absl::Duration smoothing = absl::Seconds(3);
    double young_growth = 1.25;
  };

  Tuning(Options options, const Clock* clock);

  // Registers a worker session and its devices (reported rates start at the benchmark).
  void AddWorker(uint64_t worker, std::vector<DeviceRecord> devices);
  void RemoveWorker(uint64_t worker);

  // Records one device's telemetry (averaged as Options::smoothing says). `window_busy_s` is
  // the busy time the worker's window behind `rate_hps` covers (0: unknown, an older worker or
  // a rate from shares: the report is only averaged). Unknown devices are added.
  void OnTelemetry(uint64_t worker, const std::string& device, double rate_hps,
                   double batch_latency_ms, double window_busy_s = 0);
  // Records a device's watchdog state from its telemetry. Unknown devices are added.
  void OnDeviceHealth(uint64_t worker, const std::string& device, bool hung, uint64_t hangs);
  // Records one share of a device: valid (hash checks out) or a hardware error.
  void OnShare(uint64_t worker, const std::string& device, bool valid, double difficulty);

  // Sum of the worker's reported device rates, hashes/s.
  double ReportedRate(uint64_t worker) const;
  // Rate implied by the worker's verified shares over the window, hashes/s.
  double VerifiedRate(uint64_t worker) const;
  // The rate its leases are sized for: reported rates of unflagged devices (a fully flagged
  // worker keeps 10% so its state can still be measured).
  double SizingRate(uint64_t worker) const;
  // The rate the worker is credited with: reported, or verified when its shares contradict the
  // report beyond chance (above), hashes/s.
  double CreditedRate(uint64_t worker) const;
  // The worker's share of the cluster's credited rate, 0..1.
  double WorkRatio(uint64_t worker) const;
  // True when any of the worker's devices is flagged.
  bool Flagged(uint64_t worker) const;

  double ClusterReportedRate() const;
  double ClusterVerifiedRate() const;

  // The worker's devices, in name order; empty for an unknown worker.
  std::vector<DeviceRecord> Devices(uint64_t worker) const;

 private:
  struct WorkerRecord {
    absl::Time since;
    std::map<std::string, DeviceRecord> devices;
    double last_difficulty = 0;  // Of its latest verified share.
  };

  // The worker's record of `device` (added when new); null for an unknown worker.
  DeviceRecord* FindOrAddDevice(uint64_t worker, const std::string& device);
  void Trim(DeviceRecord& d) const;
  double VerifiedRateOf(const WorkerRecord& w) const;
  double CreditedRateOf(const WorkerRecord& w) const;
  // The share difficulty `w` is judged at when it has no share in the window: its latest
  // share's, else the latest of a device of the same kind (0: none).
  double FallbackDifficulty(const WorkerRecord& w) const;

  const Options options_;
  const Clock* const clock_;
  absl::flat_hash_map<uint64_t, WorkerRecord> workers_;
  // By device kind, the difficulty of the latest verified share of any worker: synth workers
  // all mine at the pool's difficulty, while each downstream Stratum miner (kind "stratum") has
  // its own, which must not judge the others.
  absl::flat_hash_map<std::string, double> last_difficulty_;
};

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_TUNING_H_
