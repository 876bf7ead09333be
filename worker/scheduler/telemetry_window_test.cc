#include "worker/scheduler/telemetry_window.h"

#include "gtest/gtest.h"

namespace synth::worker {
namespace {

TEST(TelemetryWindowTest, EmptyWindowIsAllZero) {
  TelemetryWindow w;
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.samples, 0u);
  EXPECT_EQ(s.rate_hps, 0);
  EXPECT_EQ(w.Rate(), 0);
}

TEST(TelemetryWindowTest, RateIsHashesOverBusyTime) {
  TelemetryWindow w;
  w.Add({.hashes = 1000, .latency = absl::Milliseconds(100)});
  w.Add({.hashes = 3000, .latency = absl::Milliseconds(100)});
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.samples, 2u);
  EXPECT_DOUBLE_EQ(s.rate_hps, 20000);
  EXPECT_DOUBLE_EQ(s.mean_latency_ms, 100);
  EXPECT_DOUBLE_EQ(s.max_latency_ms, 100);
}

TEST(TelemetryWindowTest, KeepsOnlyTheLastThirtySamples) {
  TelemetryWindow w;
  for (int i = 0; i < 30; ++i) w.Add({.hashes = 1, .latency = absl::Seconds(1)});
  for (int i = 0; i < 30; ++i) w.Add({.hashes = 100, .latency = absl::Seconds(1)});
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.samples, 30u);
  EXPECT_DOUBLE_EQ(s.rate_hps, 100);
  EXPECT_DOUBLE_EQ(s.trend, 0);
}

TEST(TelemetryWindowTest, CountsErrorsAndIgnoresFailedBatchesForRate) {
  TelemetryWindow w;
  w.Add({.hashes = 500, .latency = absl::Seconds(1)});
  w.Add({.hashes = 0, .latency = absl::Seconds(5), .error = true});
  TelemetrySummary s = w.Summary();
  EXPECT_EQ(s.errors, 1u);
  EXPECT_DOUBLE_EQ(s.rate_hps, 500);
  EXPECT_DOUBLE_EQ(s.max_latency_ms, 5000);
}

TEST(TelemetryWindowTest, TrendShowsASlowdown) {
  TelemetryWindow w;
  for (int i = 0; i < 10; ++i) w.Add({.hashes = 200, .latency = absl::Seconds(1)});
  for (int i = 0; i < 10; ++i) w.Add({.hashes = 100, .latency = absl::Seconds(1)});
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
