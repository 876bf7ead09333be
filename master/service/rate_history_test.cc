#include "master/service/rate_history.h"

#include "gtest/gtest.h"

namespace synth::service {
namespace {

constexpr double k2to32 = 4294967296.0;

TEST(RateHistoryTest, EmptyAndSinglePointGiveZero) {
  RateHistory h(absl::Minutes(15));
  absl::Time t0 = absl::FromUnixSeconds(1000);
  EXPECT_EQ(h.MeanReported(t0, absl::Seconds(5)), 0);
  EXPECT_EQ(h.DifficultyRate(t0, absl::Seconds(5), &RatePoint::verified_difficulty), 0);
  h.Add({.at = t0, .reported_hps = 10});
  EXPECT_EQ(h.MeanReported(t0, absl::Seconds(5)), 10);
  EXPECT_EQ(h.DifficultyRate(t0, absl::Seconds(5), &RatePoint::verified_difficulty), 0);
}

TEST(RateHistoryTest, WindowsAverageReportedAndDifferentiateTotals) {
  RateHistory h(absl::Minutes(15) + absl::Seconds(5));
  absl::Time t0 = absl::FromUnixSeconds(1000);
  // 120 s at 1 point/s: reported 100 for the first 60 s then 200; verified difficulty grows by
  // 1 per second, accepted by 0.5 per second.
  for (int i = 0; i <= 120; ++i) {
    h.Add({.at = t0 + absl::Seconds(i),
           .reported_hps = i <= 60 ? 100.0 : 200.0,
           .verified_difficulty = 1.0 * i,
           .accepted_difficulty = 0.5 * i});
  }
  absl::Time now = t0 + absl::Seconds(120);
  EXPECT_DOUBLE_EQ(h.MeanReported(now, absl::Seconds(5)), 200);
  EXPECT_NEAR(h.MeanReported(now, absl::Minutes(1)), 200, 1e-9);
  EXPECT_NEAR(h.MeanReported(now, absl::Minutes(15)), (61 * 100.0 + 60 * 200.0) / 121, 1e-9);
  EXPECT_NEAR(h.DifficultyRate(now, absl::Seconds(5), &RatePoint::verified_difficulty), k2to32,
              1e-3);
  EXPECT_NEAR(h.DifficultyRate(now, absl::Minutes(1), &RatePoint::accepted_difficulty),
              0.5 * k2to32, 1e-3);
  // 15 minutes asked of a 2-minute history: the whole history.
  EXPECT_NEAR(h.DifficultyRate(now, absl::Minutes(15), &RatePoint::verified_difficulty), k2to32,
              1e-3);
  EXPECT_EQ(h.Since(now - absl::Seconds(10)).size(), 10u);
}

TEST(RateHistoryTest, ForgetsPointsOlderThanKeep) {
  RateHistory h(absl::Seconds(10));
  absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 100; ++i) h.Add({.at = t0 + absl::Seconds(i)});
  EXPECT_LE(h.size(), 12u);
  EXPECT_GE(h.size(), 10u);
}

}  // namespace
}  // namespace synth::service
