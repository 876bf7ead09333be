// synth_tuning_bench: how fast the master's work ratios settle after a worker joins, simulated
// (master/lease/convergence.h) for workers of rates 1:10:100, over many seeds. Prints a
// markdown table (docs/BENCHMARKS.md "Tuning convergence"; tests/bench/tuning_bench.sh runs it).
//
//   synth_tuning_bench [--runs 50] [--seconds 120] [--tolerance 0.05] [--shares-per-s 1]
//                      [--telemetry_noise 0.01] [--smoothing_s 3]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "master/lease/convergence.h"

ABSL_FLAG(int, runs, 50, "Seeds per scenario");
ABSL_FLAG(double, seconds, 120, "Simulated seconds after the join");
ABSL_FLAG(double, tolerance, 0.05, "Relative distance to the true share that counts as settled");
ABSL_FLAG(double, shares_per_s, 1, "Shares per second of the fastest worker (sets the difficulty)");
ABSL_FLAG(double, telemetry_noise, 0.01, "Relative standard deviation of each telemetry report");
ABSL_FLAG(double, smoothing_s, -1,
          "The master's telemetry time constant, seconds (Tuning::Options::smoothing); "
          "negative: its default");

namespace {

using synth::lease::ConvergenceOptions;
using synth::lease::Percentile;
using synth::lease::SettleText;
using synth::lease::ConvergenceResult;
using synth::lease::SimWorker;

struct Scenario {
  const char* name;
  std::vector<SimWorker> workers;
};

std::vector<Scenario> Scenarios() {
  const double r = 10e6;  // The slowest worker: a CPU core or two.
  return {
      {"100x worker joins (Hello +10%)", {{"1x", r}, {"10x", 10 * r}, {"100x", 100 * r, 0, 0.1}}},
      {"1x worker joins (Hello -10%)", {{"1x", r, 0, -0.1}, {"10x", 10 * r}, {"100x", 100 * r}}},
      {"all three join at once", {{"1x", r, 0}, {"10x", 10 * r, 0}, {"100x", 100 * r, 0}}},
      {"100x joins, Hello off by -30%", {{"1x", r}, {"10x", 10 * r}, {"100x", 100 * r, 0, -0.3}}},
      {"10x joins reporting 2x its rate", {{"1x", r}, {"10x", 10 * r, 0, 0, 2}, {"100x", 100 * r}}},
  };
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int runs = std::max(1, absl::GetFlag(FLAGS_runs));
  std::printf(
      "| scenario (rates 1:10:100) | runs | settled p50 | p90 | max | never | worst once settled "
      "|\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  for (const Scenario& s : Scenarios()) {
    std::vector<double> times;
    double worst = 0;
    int never = 0;
    for (int seed = 1; seed <= runs; ++seed) {
      ConvergenceOptions o;
      o.workers = s.workers;
      o.run_s = absl::GetFlag(FLAGS_seconds);
      o.tolerance = absl::GetFlag(FLAGS_tolerance);
      o.telemetry_noise = absl::GetFlag(FLAGS_telemetry_noise);
      o.seed = static_cast<uint64_t>(seed);
      if (absl::GetFlag(FLAGS_smoothing_s) >= 0) {
        o.tuning.smoothing = absl::Seconds(absl::GetFlag(FLAGS_smoothing_s));
      }
      double fastest = 0;
      for (const SimWorker& w : o.workers) fastest = std::max(fastest, w.true_hps);
      o.share_difficulty = fastest / 4294967296.0 / absl::GetFlag(FLAGS_shares_per_s);
      ConvergenceResult r = synth::lease::SimulateConvergence(o);
      times.push_back(r.converged_after_s);
      if (std::isfinite(r.converged_after_s)) {
        worst = std::max(worst, r.worst_after);
      } else {
        ++never;
      }
    }
    std::printf("| %s | %d | %s | %s | %s | %d | %.1f%% |\n", s.name, runs,
                SettleText(Percentile(times, 0.5)).c_str(), SettleText(Percentile(times, 0.9)).c_str(),
                SettleText(*std::max_element(times.begin(), times.end())).c_str(), never, 100 * worst);
  }
  return 0;
}
