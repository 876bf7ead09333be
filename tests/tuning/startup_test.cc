// The master's work ratios after a GPU joins a CPU worker, with the GPU's reports coming from the
// worker's TelemetryWindow over a device that starts slowly (startup_sim.h).
#include <algorithm>
#include <cstdint>

#include "gtest/gtest.h"
#include "tests/tuning/startup_sim.h"

namespace synth::tuning {
namespace {

constexpr uint64_t kSeeds = 10;

double WorstSettle(const StartScenario& s, ReportKind report) {
  double worst = 0;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    lease::ConvergenceResult r = lease::SimulateConvergence(StartOptions(s, report, seed));
    worst = std::max(worst, r.converged_after_s);
  }
  return worst;
}

TEST(StartupTest, RatiosSettleWithin10SecondsOfASlowlyStartingGpuJoining) {
  for (const StartScenario& s : StartScenarios()) {
    if (s.start.batch_s > 0.05) continue;  // The default --batch-ms 50; long batches below.
    EXPECT_LE(WorstSettle(s, ReportKind::kTelemetryWindow), 10) << s.name;
  }
}

TEST(StartupTest, AColdFirstBatchLeavesTheRateAtTheFirstReport) {
  const StartScenario cold = StartScenarios()[1];
  ASSERT_GT(cold.start.cold_s, 0);
  ASSERT_EQ(cold.start.slow_s, 0);
  EXPECT_LT(WorstSettle(cold, ReportKind::kTelemetryWindow), 1);
  // The scenario does test the window: the last 30 batches held the cold batch for 1.5 s.
  EXPECT_GT(WorstSettle(cold, ReportKind::kLast30Batches), 5);
}

TEST(StartupTest, LongBatchesDoNotHoldTheStartForThirtyBatches) {
  const StartScenario long_batches = StartScenarios().back();
  ASSERT_EQ(long_batches.start.batch_s, 1);
  // The 3 s average on the master after the start's deep first reports: just over 10 s at worst.
  EXPECT_LE(WorstSettle(long_batches, ReportKind::kTelemetryWindow), 12);
  EXPECT_GT(WorstSettle(long_batches, ReportKind::kLast30Batches), 25);
}

}  // namespace
}  // namespace synth::tuning
