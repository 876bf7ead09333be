#include "master/lease/tuning.h"

#include "gtest/gtest.h"

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
  t.OnShare(1, "cpu0", true, 1);
  t.OnShare(2, "cpu0", true, 3);  // Both verified now: the ratio follows verified rates.
  EXPECT_DOUBLE_EQ(t.WorkRatio(2), 0.75);
  EXPECT_DOUBLE_EQ(t.ClusterReportedRate(), 40e6);
}

}  // namespace
}  // namespace synth::lease
