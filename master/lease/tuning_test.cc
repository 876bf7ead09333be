#include "master/lease/tuning.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"
#include "master/lease/convergence.h"

namespace synth::lease {
namespace {

std::vector<DeviceRecord> TwoDevices() {
  DeviceRecord a{.name = "cpu0", .kind = "cpu", .impl = "sha-ni", .benchmarked_rate_hps = 40e6};
  DeviceRecord b{.name = "cuda:0", .kind = "cuda", .impl = "sm_90", .benchmarked_rate_hps = 4e9};
  return {a, b};
}

TEST(TuningTest, ReportedRateStartsAtBenchmarkAndFollowsTelemetry) {
  FakeClock clock;
  Tuning t({}, &clock);
  t.AddWorker(1, TwoDevices());
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 4.04e9);
  t.OnTelemetry(1, "cpu0", 50e6, 100);
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 4.05e9);
  EXPECT_DOUBLE_EQ(t.SizingRate(1), 4.05e9);
  EXPECT_EQ(t.ReportedRate(99), 0);
}

TEST(TuningTest, VerifiedRateFromShares) {
  FakeClock clock;
  Tuning t({.window = absl::Seconds(60)}, &clock);
  t.AddWorker(1, TwoDevices());
  clock.Advance(absl::Seconds(10));
  for (int i = 0; i < 10; ++i) t.OnShare(1, "cpu0", true, 2.0);
  // 10 shares × difficulty 2 × 2^32 over 10 s.
  EXPECT_NEAR(t.VerifiedRate(1), 20 * 4294967296.0 / 10, 1);
  clock.Advance(absl::Seconds(100));  // Shares slide out of the window.
  EXPECT_EQ(t.VerifiedRate(1), 0);
}

TEST(TuningTest, HardwareErrorsAboveFivePercentFlagAndBackOff) {
  FakeClock clock;
  Tuning t({.hw_error_limit = 0.05, .min_shares_to_flag = 10}, &clock);
  t.AddWorker(1, TwoDevices());
  for (int i = 0; i < 19; ++i) t.OnShare(1, "cuda:0", true, 1);
  t.OnShare(1, "cuda:0", false, 1);  // 1/20 = 5%: not above.
  EXPECT_FALSE(t.Flagged(1));
  t.OnShare(1, "cuda:0", false, 1);  // 2/21 > 5%.
  EXPECT_TRUE(t.Flagged(1));
  EXPECT_DOUBLE_EQ(t.SizingRate(1), 40e6);  // Flagged GPU left out of lease sizing.
  std::vector<DeviceRecord> d = t.Devices(1);
  ASSERT_EQ(d.size(), 2u);
  EXPECT_TRUE(d[1].flagged);
  EXPECT_EQ(d[1].hardware_errors, 2u);
}

TEST(TuningTest, WorkRatioIsShareOfClusterRate) {
  FakeClock clock;
  Tuning t({}, &clock);
  t.AddWorker(1, {{.name = "cpu0", .benchmarked_rate_hps = 30e6}});
  t.AddWorker(2, {{.name = "cpu0", .benchmarked_rate_hps = 10e6}});
  EXPECT_DOUBLE_EQ(t.WorkRatio(1), 0.75);
  clock.Advance(absl::Seconds(10));
  // A few lucky shares prove nothing (0.07 and 0.02 expected at these rates): the ratio keeps
  // following the reports instead of swinging with the shares.
  t.OnShare(1, "cpu0", true, 1);
  t.OnShare(2, "cpu0", true, 3);
  EXPECT_DOUBLE_EQ(t.WorkRatio(1), 0.75);
  EXPECT_DOUBLE_EQ(t.CreditedRate(2), 10e6);
  EXPECT_DOUBLE_EQ(t.ClusterReportedRate(), 40e6);
}

// Difficulty that makes a 100 MH/s worker find one share a second.
constexpr double kOnePerSecondAt100M = 100e6 / 4294967296.0;

TEST(TuningTest, SharesThatAgreeWithTheReportKeepIt) {
  FakeClock clock;
  Tuning t({}, &clock);
  t.AddWorker(1, {{.name = "cpu0", .benchmarked_rate_hps = 100e6}});
  // 30 s at one share a second, 10% lucky: within chance (30 expected, sd 5.5).
  for (int s = 0; s < 30; ++s) {
    clock.Advance(absl::Seconds(1));
    t.OnShare(1, "cpu0", true, kOnePerSecondAt100M);
    if (s % 10 == 0) t.OnShare(1, "cpu0", true, kOnePerSecondAt100M);
  }
  EXPECT_DOUBLE_EQ(t.CreditedRate(1), 100e6);
}

TEST(TuningTest, AWorkerThatOverReportsIsCreditedWithItsShares) {
  FakeClock clock;
  Tuning t({}, &clock);
  t.AddWorker(1, {{.name = "cpu0", .benchmarked_rate_hps = 200e6}});  // Claims 200 MH/s...
  t.AddWorker(2, {{.name = "cpu0", .benchmarked_rate_hps = 100e6}});
  for (int s = 0; s < 40; ++s) {  // ...but both find shares as 100 MH/s workers do.
    clock.Advance(absl::Seconds(1));
    t.OnShare(1, "cpu0", true, kOnePerSecondAt100M);
    t.OnShare(2, "cpu0", true, kOnePerSecondAt100M);
  }
  // 80 expected, 40 found: 4.5 standard deviations short.
  EXPECT_NEAR(t.CreditedRate(1), 100e6, 1e3);
  EXPECT_NEAR(t.WorkRatio(1), 0.5, 1e-6);
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 200e6);  // Reported as reported; credited as proven.
}

TEST(TuningTest, AMinersOwnDifficultyJudgesNoOtherWorker) {
  FakeClock clock;
  Tuning t({}, &clock);
  t.AddWorker(1, {{.name = "cpu0", .kind = "cpu", .benchmarked_rate_hps = 100e6}});
  t.AddWorker(2, {{.name = "stratum", .kind = "stratum", .benchmarked_rate_hps = 1e6}});
  clock.Advance(absl::Seconds(10));
  // A downstream miner's shares at a tiny difficulty: at that difficulty worker 1 would have
  // found thousands of shares by now, but its own shares come at the pool's difficulty.
  for (int s = 0; s < 5; ++s) t.OnShare(2, "stratum", true, 1e-6);
  EXPECT_DOUBLE_EQ(t.CreditedRate(1), 100e6);
  // A second CPU worker without a share is judged at the CPU workers' difficulty.
  t.AddWorker(3, {{.name = "cpu0", .kind = "cpu", .benchmarked_rate_hps = 200e6}});
  t.OnShare(1, "cpu0", true, kOnePerSecondAt100M);
  clock.Advance(absl::Seconds(30));  // 60 expected at 200 MH/s, none found: over-reported.
  EXPECT_DOUBLE_EQ(t.CreditedRate(3), 0);
}

TEST(TuningTest, TheWatchdogsVerdictIsKeptPerDevice) {
  FakeClock clock;
  Tuning t({}, &clock);
  t.AddWorker(1, TwoDevices());
  t.OnDeviceHealth(1, "cuda:0", true, 1);
  std::vector<DeviceRecord> d = t.Devices(1);
  EXPECT_FALSE(d[0].hung);
  EXPECT_TRUE(d[1].hung);
  EXPECT_EQ(d[1].hangs, 1u);
  t.OnDeviceHealth(1, "cuda:0", false, 1);  // Back.
  EXPECT_FALSE(t.Devices(1)[1].hung);
  t.OnDeviceHealth(99, "cuda:0", true, 1);  // Unknown worker: ignored.
}

TEST(TuningTest, TelemetryIsSmoothedAfterTheFirstReport) {
  FakeClock clock;
  Tuning t({.smoothing = absl::Seconds(3)}, &clock);
  t.AddWorker(1, {{.name = "cpu0", .benchmarked_rate_hps = 70e6}});
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "cpu0", 100e6, 50);  // The first report replaces the benchmark.
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 100e6);
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "cpu0", 110e6, 50);  // A noisy one moves it by 1 - e^(-1/3) of the way.
  EXPECT_NEAR(t.ReportedRate(1), 100e6 + 10e6 * (1 - std::exp(-1.0 / 3)), 1);
  Tuning raw({.smoothing = absl::ZeroDuration()}, &clock);
  raw.AddWorker(1, {{.name = "cpu0", .benchmarked_rate_hps = 70e6}});
  raw.OnTelemetry(1, "cpu0", 100e6, 50);
  raw.OnTelemetry(1, "cpu0", 110e6, 50);
  EXPECT_DOUBLE_EQ(raw.ReportedRate(1), 110e6);
}

TEST(TuningTest, AGrowingWindowReplacesTheAverageThenReportsAreSmoothed) {
  FakeClock clock;
  Tuning t({.smoothing = absl::Seconds(3)}, &clock);
  t.AddWorker(1, {{.name = "gpu0", .benchmarked_rate_hps = 8e9}});
  t.OnTelemetry(1, "gpu0", 8e9, 20, 0.02);  // At the Welcome: the calibration alone.
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 8e9);
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "gpu0", 9.6e9, 50, 0.5);  // 25x the busy time: the young window wins.
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 9.6e9);
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "gpu0", 9.7e9, 50, 1.0);
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 9.7e9);
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "gpu0", 9.6e9, 50, 2.0);  // The window reaches its span.
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 9.6e9);
  // Past the span the busy time stays put (here 2.05 s < 1.25 x 2.0): averaged.
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "gpu0", 10.6e9, 50, 2.05);
  EXPECT_NEAR(t.ReportedRate(1), 9.6e9 + 1e9 * (1 - std::exp(-1.0 / 3)), 1);
  // A window that shrank (the start left it) is averaged too, not taken whole.
  const double before = t.ReportedRate(1);
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "gpu0", 5e9, 50, 0.4);
  EXPECT_NEAR(t.ReportedRate(1), before + (5e9 - before) * (1 - std::exp(-1.0 / 3)), 1);
}

TEST(TuningTest, ReportsWithoutBusyTimeAreOnlyAveraged) {
  // An older worker (window_busy_s absent: 0) and bad values: the first report replaces the
  // Hello, the rest are averaged as before.
  FakeClock clock;
  Tuning t({.smoothing = absl::Seconds(3)}, &clock);
  t.AddWorker(1, {{.name = "cpu0", .benchmarked_rate_hps = 70e6}});
  t.OnTelemetry(1, "cpu0", 100e6, 50, 0);
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 100e6);
  for (double busy : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    clock.Advance(absl::Seconds(1));
    const double before = t.ReportedRate(1);
    t.OnTelemetry(1, "cpu0", 200e6, 50, busy);
    EXPECT_NEAR(t.ReportedRate(1), before + (200e6 - before) * (1 - std::exp(-1.0 / 3)), 1)
        << busy;
  }
  // The largest busy time is taken once (it grows past everything), and nothing grows past it.
  const double most = std::numeric_limits<double>::max();
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "cpu0", 150e6, 50, most);
  EXPECT_DOUBLE_EQ(t.ReportedRate(1), 150e6);
  clock.Advance(absl::Seconds(1));
  t.OnTelemetry(1, "cpu0", 90e6, 50, most);
  EXPECT_NEAR(t.ReportedRate(1), 150e6 - 60e6 * (1 - std::exp(-1.0 / 3)), 1);
}

// The goal of docs/BENCHMARKS.md "Tuning convergence": after a worker joins a cluster of rates
// 1:10:100, every work ratio is within 5% of its true share in at most 10 s, and stays there.
TEST(TuningTest, WorkRatiosSettleWithin10SecondsOfAJoin) {
  const double r = 10e6;
  const std::vector<std::vector<SimWorker>> scenarios = {
      {{"1x", r}, {"10x", 10 * r}, {"100x", 100 * r, 0, 0.1}},
      {{"1x", r, 0, -0.1}, {"10x", 10 * r}, {"100x", 100 * r}},
      {{"1x", r, 0}, {"10x", 10 * r, 0}, {"100x", 100 * r, 0, -0.3}}};
  for (size_t s = 0; s < scenarios.size(); ++s) {
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      ConvergenceOptions o;
      o.workers = scenarios[s];
      o.warmup_s = 60;
      o.run_s = 30;  // Settled means inside for the last 10 s: within 20 s of the join here.
      o.seed = seed;
      ConvergenceResult c = SimulateConvergence(o);
      EXPECT_LE(c.converged_after_s, 10) << "scenario " << s << " seed " << seed;
      for (size_t i = 0; i < c.steady.size(); ++i) {
        EXPECT_NEAR(c.final_ratios[i] / c.steady[i], 1, 0.05) << "scenario " << s;
      }
    }
  }
}

}  // namespace
}  // namespace synth::lease
