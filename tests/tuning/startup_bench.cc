// synth_startup_bench: how long after a GPU joins a CPU worker the work ratios settle when the
// GPU starts slowly, simulated with the worker's TelemetryWindow and, as the baseline, the
// 30-batch window it had before (tests/tuning/startup_sim.h), over many seeds. Prints a
// markdown table (docs/BENCHMARKS.md "Tuning convergence"; tests/bench/tuning_bench.sh runs it).
//
//   synth_startup_bench [--runs 50] [--smoothing_s S]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "tests/tuning/startup_sim.h"

ABSL_FLAG(int, runs, 50, "Seeds per scenario");
ABSL_FLAG(double, smoothing_s, -1,
          "The master's telemetry time constant, seconds (Tuning::Options::smoothing); "
          "negative: its default");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using synth::lease::Percentile;
  using synth::lease::SettleText;
  using synth::tuning::ReportKind;
  const int runs = std::max(1, absl::GetFlag(FLAGS_runs));
  std::printf("| GPU start (1:340 pair joins) | worker's window | runs | settled p50 | p90 | max "
              "| never |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  for (const synth::tuning::StartScenario& s : synth::tuning::StartScenarios()) {
    for (ReportKind kind : {ReportKind::kLast30Batches, ReportKind::kWindowNoBusy,
                            ReportKind::kTelemetryWindow}) {
      std::vector<double> times;
      for (int seed = 1; seed <= runs; ++seed) {
        synth::lease::ConvergenceOptions o =
            synth::tuning::StartOptions(s, kind, static_cast<uint64_t>(seed));
        if (absl::GetFlag(FLAGS_smoothing_s) >= 0) {
          o.tuning.smoothing = absl::Seconds(absl::GetFlag(FLAGS_smoothing_s));
        }
        times.push_back(synth::lease::SimulateConvergence(o).converged_after_s);
      }
      const int never = static_cast<int>(
          std::count_if(times.begin(), times.end(), [](double t) { return !std::isfinite(t); }));
      std::printf("| %s | %s | %d | %s | %s | %s | %d |\n", s.name.c_str(),
                  synth::tuning::ReportKindName(kind), runs,
                  SettleText(Percentile(times, 0.5)).c_str(), SettleText(Percentile(times, 0.9)).c_str(),
                  SettleText(*std::max_element(times.begin(), times.end())).c_str(), never);
    }
  }
  return 0;
}
