// File: master/lease/convergence.h
//
// How fast the master's work ratios settle after a worker joins (docs/BENCHMARKS.md "Tuning
// convergence"): a simulation of Tuning (tuning.h) on a FakeClock, fed by workers whose devices
// hash at known rates. Each worker announces a benchmarked rate in its Hello (off by a set
// error), reports telemetry every second (its true rate with noise) and finds shares as a
// Poisson process at the pool difficulty. The steady state is each worker's true share of the
// cluster's rate; the result is the time from the last join after which every worker's
// WorkRatio stays within `tolerance` of it until the end of the run.
//
// A worker may also model its device's start and its own telemetry window: its device then
// hashes in batches, slower for its first seconds (SimStart), and each report is the rate of a
// SimReport fed those batches (tests/tuning plugs in the worker's TelemetryWindow; master/ cannot
// depend on worker/). Without one, a report is the true rate with noise: an ideal window.
//
//   ConvergenceOptions o;
//   o.workers = {{"slow", 10e6}, {"mid", 100e6}, {"fast", 1e9, /*join_s=*/0}};
//   ConvergenceResult r = SimulateConvergence(o);   // r.converged_after_s
//
// Deterministic for a seed. Used by tuning_test.cc (the ≤ 10 s goal), the benchmark
// synth_tuning_bench (tests/bench/tuning_bench.sh) and tests/tuning (a device's start).
#ifndef SYNTH_MASTER_LEASE_CONVERGENCE_H_
#define SYNTH_MASTER_LEASE_CONVERGENCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "master/lease/tuning.h"

namespace synth::lease {

// The rate a worker reports for its device, from the batches the device has finished.
class SimReport {
 public:
  virtual ~SimReport() = default;
  // A batch of `hashes` took `seconds` of device time.
  virtual void OnBatch(double hashes, double seconds) = 0;
  // The rate the next telemetry report carries, hashes/s.
  virtual double Rate() const = 0;
  // The busy time behind Rate(), seconds (DeviceTelemetry.window_busy_s); 0: not reported.
  virtual double BusySeconds() const { return 0; }
};

// How a device starts after its worker joins: its first batch takes `cold_s` longer (a GPU's
// context and kernels loading), and for `slow_s` it hashes at `slow_factor` of its rate (clocks
// ramping up). Batches last `batch_s` of device time (--batch-ms).
struct SimStart {
  double cold_s = 0;
  double slow_s = 0;
  double slow_factor = 1;
  double batch_s = 0.05;
};

struct SimWorker {
  std::string id;
  double true_hps = 0;         // What its devices really hash once started, hashes/s.
  double join_s = -1e9;        // When it connects (before 0: at the start of the warm-up).
  double benchmark_error = 0;  // Hello's benchmarked rate is true × (1 + this).
  double report_factor = 1;    // Telemetry reports true × this (≠ 1: a worker that lies).
  SimStart start;
  // Makes the worker's report model; null: the true rate with noise. The Hello's benchmark is
  // its first batch (a 20 ms calibration), as the worker's calibration seeds its window.
  std::function<std::unique_ptr<SimReport>()> report;
};

struct ConvergenceOptions {
  std::vector<SimWorker> workers;
  // Share difficulty; 0: the fastest worker finds one share per second on average.
  double share_difficulty = 0;
  double telemetry_every_s = 1;
  double telemetry_noise = 0.01;  // Relative standard deviation of each report.
  double step_s = 0.1;
  double warmup_s = 300;    // Simulated seconds before t = 0 (early joiners settle).
  double run_s = 120;       // Simulated seconds after t = 0.
  double tolerance = 0.05;  // Relative distance to the steady state that counts as settled.
  uint64_t seed = 1;
  Tuning::Options tuning;   // The master's settings under test.
};

struct ConvergenceResult {
  double converged_after_s = 0;  // From the last join; +inf when not settled for the run's
                                 // last 10 s.
  double worst_after = 0;        // Largest relative distance once settled (≤ tolerance).
  std::vector<double> final_ratios;
  std::vector<double> steady;  // True shares of the cluster's rate (once started).
};

ConvergenceResult SimulateConvergence(const ConvergenceOptions& options);

// For the benchmarks' tables: the p-quantile (0..1) of settle times (+inf, never settled, sorts
// last), and a settle time as "2.5 s" or "never".
double Percentile(std::vector<double> values, double p);
std::string SettleText(double seconds);

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_CONVERGENCE_H_
