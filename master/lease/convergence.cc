#include "master/lease/convergence.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "master/lease/tuning.h"

namespace synth::lease {
namespace {

constexpr double kTwo32 = 4294967296.0;

// The device's rate `age` seconds after its worker joined (0 while its first batch is cold).
double RateAt(const SimWorker& w, double age) {
  if (age < w.start.cold_s) return 0;
  return age < w.start.cold_s + w.start.slow_s ? w.true_hps * w.start.slow_factor : w.true_hps;
}

struct Sim {
  explicit Sim(const ConvergenceOptions& o)
      : options(o),
        clock(absl::FromUnixSeconds(1000000000)),
        tuning(o.tuning, &clock),
        rng(o.seed) {}

  void Join(size_t i, double t) {
    const SimWorker& w = options.workers[i];
    joined[i] = true;
    joined_at[i] = t;
    const double hello = w.true_hps * (1 + w.benchmark_error);
    DeviceRecord d{.name = "dev0", .benchmarked_rate_hps = hello};
    tuning.AddWorker(i, {d});
    // A worker sends telemetry at once when welcomed, then every interval. That first report
    // holds only its calibration, the Hello's rate: without a report model (which starts with
    // the calibration) it would say nothing new, so such a worker reports from one interval on.
    next_telemetry[i] = w.report ? t : t + options.telemetry_every_s;
    if (w.report) {
      reports[i] = w.report();
      reports[i]->OnBatch(hello * 0.02, 0.02);  // The worker's calibration.
    }
  }

  // Feeds the worker's report model the batches its device finished by `t`: the first takes
  // cold_s longer, each hashes at the rate of its start.
  void Batches(size_t i, double t) {
    const SimStart& start = options.workers[i].start;
    if (start.batch_s <= 0) return;  // No batches to feed: the report keeps its calibration.
    while (true) {
      const double begin = joined_at[i] + start.cold_s + batches[i] * start.batch_s;
      if (begin + start.batch_s > t) return;
      const double cold = batches[i] == 0 ? start.cold_s : 0;
      reports[i]->OnBatch(RateAt(options.workers[i], begin - joined_at[i]) * start.batch_s,
                          start.batch_s + cold);
      ++batches[i];
    }
  }

  // Advances the world by one step ending at `t`: joins, telemetry, shares.
  void Step(double t) {
    const double dt = options.step_s;
    for (size_t i = 0; i < options.workers.size(); ++i) {
      const SimWorker& w = options.workers[i];
      if (w.join_s > t) continue;
      if (!joined[i]) Join(i, t);
      if (reports[i]) Batches(i, t);
      if (t >= next_telemetry[i]) {
        std::normal_distribution<double> noise(1.0, options.telemetry_noise);
        const double rate = reports[i] ? reports[i]->Rate() : w.true_hps;
        const double busy = reports[i] ? reports[i]->BusySeconds() : 0;
        tuning.OnTelemetry(i, "dev0", rate * w.report_factor * noise(rng), 50, busy);
        next_telemetry[i] += options.telemetry_every_s;
      }
      const double mean = RateAt(w, t - joined_at[i]) * dt / (difficulty * kTwo32);
      if (mean <= 0) continue;
      std::poisson_distribution<int> shares(mean);
      for (int n = shares(rng); n > 0; --n) tuning.OnShare(i, "dev0", true, difficulty);
    }
  }

  // The largest relative distance of a joined worker's ratio from its true share.
  double Distance(const std::vector<double>& steady) const {
    double worst = 0;
    for (size_t i = 0; i < steady.size(); ++i) {
      if (!joined[i]) return std::numeric_limits<double>::infinity();
      worst = std::max(worst, std::abs(tuning.WorkRatio(i) / steady[i] - 1));
    }
    return worst;
  }

  const ConvergenceOptions& options;
  FakeClock clock;
  Tuning tuning;
  std::mt19937_64 rng;
  double difficulty = 1;
  std::vector<bool> joined;
  std::vector<double> next_telemetry;
  std::vector<double> joined_at;
  std::vector<std::unique_ptr<SimReport>> reports;  // Null: the true rate is reported.
  std::vector<int64_t> batches;                     // Device batches fed to the report.
};

}  // namespace

ConvergenceResult SimulateConvergence(const ConvergenceOptions& options) {
  Sim sim(options);
  ConvergenceResult r;
  const double start = -options.warmup_s;
  double total = 0, fastest = 0, last_join = start;
  for (const SimWorker& w : options.workers) {
    total += w.true_hps;
    fastest = std::max(fastest, w.true_hps);
    last_join = std::max(last_join, w.join_s);
  }
  for (const SimWorker& w : options.workers) r.steady.push_back(w.true_hps / total);
  sim.difficulty = options.share_difficulty > 0 ? options.share_difficulty : fastest / kTwo32;
  sim.joined.assign(options.workers.size(), false);
  sim.next_telemetry.assign(options.workers.size(), 0);
  sim.joined_at.assign(options.workers.size(), 0);
  sim.reports.resize(options.workers.size());
  sim.batches.assign(options.workers.size(), 0);
  // The last time the ratios were outside the tolerance (settled right after it).
  double last_outside = last_join, worst_inside = 0;
  const int steps = static_cast<int>(std::lround((options.run_s - start) / options.step_s));
  for (int k = 1; k <= steps; ++k) {
    const double t = start + k * options.step_s;
    sim.clock.Advance(absl::Seconds(options.step_s));
    sim.Step(t);
    if (t < last_join) continue;
    double d = sim.Distance(r.steady);
    if (d > options.tolerance) {
      last_outside = t;
      worst_inside = 0;
    } else {
      worst_inside = std::max(worst_inside, d);
    }
  }
  // Settled means inside for the last 10 s of the run at least.
  const bool settled = last_outside <= options.run_s - 10;
  r.converged_after_s =
      settled ? last_outside - last_join : std::numeric_limits<double>::infinity();
  r.worst_after = worst_inside;
  for (size_t i = 0; i < options.workers.size(); ++i) {
    r.final_ratios.push_back(sim.tuning.WorkRatio(i));
  }
  return r;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double last = static_cast<double>(values.size() - 1);
  return values[static_cast<size_t>(std::min(last, std::floor(p * values.size())))];
}

std::string SettleText(double seconds) {
  return std::isfinite(seconds) ? absl::StrFormat("%.1f s", seconds) : "never";
}

}  // namespace synth::lease
