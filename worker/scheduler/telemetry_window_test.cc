#include "worker/scheduler/telemetry_window.h"

#include <cmath>
#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace synth::worker {
namespace {

// Adds batches of `latency` at `rate_hps` until the window has seen `seconds` more of them.
void Batches(TelemetryWindow& w, double rate_hps, absl::Duration latency, double seconds) {
  const int n = static_cast<int>(std::lround(seconds / absl::ToDoubleSeconds(latency)));
  const auto hashes = static_cast<uint64_t>(rate_hps * absl::ToDoubleSeconds(latency));
  for (int i = 0; i < n; ++i) w.Add({.hashes = hashes, .latency = latency});
}

TEST(TelemetryWindowTest, EmptyWindowIsAllZero) {
  TelemetryWindow w;
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.samples, 0u);
  EXPECT_EQ(s.rate_hps, 0);
  EXPECT_EQ(s.busy_s, 0);
  EXPECT_EQ(w.Rate(), 0);
}

TEST(TelemetryWindowTest, RateIsHashesOverBusyTime) {
  TelemetryWindow w;
  Batches(w, 10000, absl::Milliseconds(100), 10);  // 20 batches of 1000 hashes cover the 2 s.
  w.Add({.hashes = 3000, .latency = absl::Milliseconds(100)});
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.samples, 20u);
  EXPECT_DOUBLE_EQ(s.busy_s, 2.0);
  EXPECT_DOUBLE_EQ(s.rate_hps, (19 * 1000 + 3000) / 2.0);
  EXPECT_DOUBLE_EQ(s.mean_latency_ms, 100);
  EXPECT_DOUBLE_EQ(s.max_latency_ms, 100);
}

TEST(TelemetryWindowTest, CoversTheSpanOfBusyTimeWhateverTheBatchLength) {
  for (absl::Duration batch : {absl::Milliseconds(10), absl::Milliseconds(50),
                               absl::Milliseconds(250), absl::Seconds(1)}) {
    TelemetryWindow w;
    Batches(w, 1e9, batch, 30);
    TelemetrySummary s = w.Summary();
    EXPECT_DOUBLE_EQ(s.busy_s, 2.0) << batch;
    EXPECT_EQ(s.samples, static_cast<size_t>(absl::Seconds(2) / batch)) << batch;
  }
}

TEST(TelemetryWindowTest, AlwaysKeepsTheNewestBatch) {
  TelemetryWindow w;
  w.Add({.hashes = 10'000, .latency = absl::Seconds(10)});
  w.Add({.hashes = 50'000, .latency = absl::Seconds(10)});
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.samples, 1u);
  EXPECT_DOUBLE_EQ(s.rate_hps, 5000);
}

// A GPU's start: the calibration Scan, a cold first batch (the kernel loading: 500 ms more),
// 1 s of batches at half speed (clocks ramping), then 50 ms batches at 10 GH/s. The start is
// the older half of the hashes after about 0.6 s of steady batches and leaves the rate then (a
// window of 30 batches would hold it for 1.5 s, of 2 s of busy time for 2 s).
TEST(TelemetryWindowTest, ASlowStartLeavesTheRateWithinOneSecond) {
  constexpr double kSteady = 10e9;
  TelemetryWindow w;
  w.Add({.hashes = uint64_t{1} << 28, .latency = absl::Milliseconds(30)});
  w.Add({.hashes = 500'000'000, .latency = absl::Milliseconds(550)});
  Batches(w, kSteady / 2, absl::Milliseconds(50), 1);
  EXPECT_LT(w.Rate(), 0.9 * kSteady) << "the start is in the rate at first";
  double within_after = -1;  // Steady busy time after which the rate stayed within 1%.
  for (int i = 1; i <= 200; ++i) {
    w.Add({.hashes = 500'000'000, .latency = absl::Milliseconds(50)});
    if (std::abs(w.Rate() / kSteady - 1) > 0.01) {
      within_after = -1;
    } else if (within_after < 0) {
      within_after = 0.05 * i;
    }
  }
  ASSERT_GE(within_after, 0) << "never within 1%";
  EXPECT_LE(within_after, 1.0);
  EXPECT_DOUBLE_EQ(w.Rate(), kSteady);
}

// A device whose clocks ramp up: 3 s at half speed, then steady, in 1 s batches (--batch-ms
// 1000). A window of 30 batches would hold the slow start for 30 s.
TEST(TelemetryWindowTest, LongBatchesDoNotHoldASlowStartForLong) {
  TelemetryWindow w;
  Batches(w, 5e9, absl::Seconds(1), 3);
  Batches(w, 10e9, absl::Seconds(1), 3);
  EXPECT_DOUBLE_EQ(w.Rate(), 10e9);
  EXPECT_EQ(w.Summary().samples, 2u);
}

TEST(TelemetryWindowTest, ASteadyDeviceStaysWithinOnePercent) {
  constexpr double kRate = 30e6;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> jitter(0.98, 1.02);  // Per batch: +-2% of its time.
  TelemetryWindow w;
  double busy = 0, worst = 0;
  for (int i = 0; i < 2400; ++i) {  // 120 s of 50 ms batches.
    const double s = 0.05 * jitter(rng);
    w.Add({.hashes = static_cast<uint64_t>(kRate * 0.05), .latency = absl::Seconds(s)});
    busy += s;
    if (busy >= 1) worst = std::max(worst, std::abs(w.Rate() / kRate - 1));
  }
  EXPECT_LT(worst, 0.01);
  // Without noise the rate is exact from the first batch on.
  TelemetryWindow exact;
  for (int i = 0; i < 100; ++i) {
    exact.Add({.hashes = 1'500'000, .latency = absl::Milliseconds(50)});
    ASSERT_DOUBLE_EQ(exact.Rate(), kRate) << i;
  }
}

TEST(TelemetryWindowTest, CountsErrorsAndIgnoresFailedBatchesForRate) {
  TelemetryWindow w;
  Batches(w, 500, absl::Seconds(1), 4);
  // A batch that failed after 5 s (a hung launch aborted): no hashes, not part of the rate, and
  // it does not push the good batches out.
  w.Add({.hashes = 0, .latency = absl::Seconds(5), .error = true});
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.errors, 1u);
  EXPECT_EQ(s.samples, 3u);
  EXPECT_DOUBLE_EQ(s.rate_hps, 500);
  EXPECT_DOUBLE_EQ(s.busy_s, 2.0);
  EXPECT_DOUBLE_EQ(s.max_latency_ms, 5000);
  Batches(w, 500, absl::Seconds(1), 3);
  EXPECT_EQ(w.Summary().errors, 0u) << "the error left with the batches around it";
}

TEST(TelemetryWindowTest, HoldsAtMostMaxSamples) {
  TelemetryWindow w;
  Batches(w, 1e6, absl::Microseconds(100), 5);  // 50,000 batches; 2 s would be 20,000.
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.samples, TelemetryWindow::kMaxSamples);
  EXPECT_NEAR(s.rate_hps, 1e6, 1);
}

TEST(TelemetryWindowTest, TrendShowsASlowdown) {
  TelemetryWindow w(absl::Seconds(4));
  Batches(w, 2000, absl::Milliseconds(100), 6);
  Batches(w, 1000, absl::Milliseconds(100), 2);  // The window: 2 s at 2000/s, then 2 s at 1000/s.
  EXPECT_EQ(w.Summary().samples, 40u);
  EXPECT_DOUBLE_EQ(w.Summary().trend, -0.5);
}

TEST(TelemetryWindowTest, NoTrendWithFewSamples) {
  TelemetryWindow w;
  w.Add({.hashes = 1, .latency = absl::Seconds(1)});
  w.Add({.hashes = 9, .latency = absl::Seconds(1)});
  EXPECT_EQ(w.Summary().trend, 0);
}

}  // namespace
}  // namespace synth::worker
