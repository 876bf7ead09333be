#include "master/hub/vardiff.h"

#include "gtest/gtest.h"

namespace synth::hub {
namespace {

constexpr absl::Duration k30s = absl::Seconds(30);

class VardiffTest : public ::testing::Test {
 protected:
  // Feeds `n` shares at the current difficulty over `d`, then retargets.
  std::optional<double> Window(Vardiff& v, int n, absl::Duration d = k30s) {
    for (int i = 0; i < n; ++i) v.OnShare(v.difficulty());
    now_ += d;
    return v.Retarget(now_);
  }
  absl::Time now_ = absl::FromUnixSeconds(1000000000);
};

TEST_F(VardiffTest, ConvergesOnTheTargetShareRate) {
  Vardiff v({.target_per_min = 20}, 1.0, now_);
  // 40 shares in 30 s at difficulty 1 = 80/min: four times the target.
  std::optional<double> d = Window(v, 40);
  ASSERT_TRUE(d.has_value());
  EXPECT_DOUBLE_EQ(*d, 4.0);
  EXPECT_DOUBLE_EQ(v.measured_rate_hps(), 40 * 4294967296.0 / 30);
  // At the new difficulty the miner sends 10 per 30 s: on target, kept.
  EXPECT_FALSE(Window(v, 10).has_value());
  EXPECT_DOUBLE_EQ(v.difficulty(), 4.0);
  // Within the dead band (12 instead of 10): kept.
  EXPECT_FALSE(Window(v, 12).has_value());
}

TEST_F(VardiffTest, NoRetargetBeforeTheIntervalAndQuietWindowsQuarter) {
  Vardiff v({.target_per_min = 20}, 8.0, now_);
  for (int i = 0; i < 100; ++i) v.OnShare(8);
  now_ += absl::Seconds(29);
  EXPECT_FALSE(v.Retarget(now_).has_value());  // Too early, however many shares.
  now_ += absl::Seconds(1);
  EXPECT_TRUE(v.Retarget(now_).has_value());
  Vardiff quiet({.target_per_min = 20}, 8.0, now_);
  EXPECT_EQ(Window(quiet, 0), 2.0);
  EXPECT_EQ(Window(quiet, 0), 0.5);
}

TEST_F(VardiffTest, BoundedByTheMinersFloorAndThePoolsCeiling) {
  Vardiff v({.target_per_min = 20, .floor = 0.001}, 1.0, now_);
  EXPECT_EQ(v.SetBounds(/*miner_floor=*/0, /*ceiling=*/0.5), 0.5);
  EXPECT_FALSE(Window(v, 400).has_value());  // Wants far more, capped at the pool's 0.5.
  EXPECT_EQ(v.difficulty(), 0.5);
  // The miner's minimum-difficulty wins over the ceiling (BIP 310).
  EXPECT_EQ(v.SetBounds(2.0, 0.5), 2.0);
  EXPECT_FALSE(Window(v, 0).has_value());  // A quiet window cannot go under the floor.
  EXPECT_EQ(v.difficulty(), 2.0);
  EXPECT_EQ(v.SetBounds(0, 0), std::nullopt);  // Bounds lifted: nothing to clamp.
  Vardiff low({.target_per_min = 20, .floor = 0.001}, 1e-9, now_);
  EXPECT_EQ(low.difficulty(), 0.001);
}

TEST_F(VardiffTest, SuggestionJumpsAndRestartsTheWindow) {
  Vardiff v({.target_per_min = 20}, 1.0, now_);
  for (int i = 0; i < 100; ++i) v.OnShare(1);
  now_ += absl::Seconds(20);
  EXPECT_EQ(v.Suggest(64, now_), 64.0);
  EXPECT_EQ(v.Suggest(64, now_), std::nullopt);
  now_ += absl::Seconds(20);
  EXPECT_FALSE(v.Retarget(now_).has_value());  // 20 s since the suggestion.
  // Shares of an older job count with the difficulty they were checked at.
  Vardiff w({.target_per_min = 20}, 1.0, now_);
  for (int i = 0; i < 10; ++i) w.OnShare(4);  // 40 difficulty-1 shares' worth.
  now_ += k30s;
  EXPECT_EQ(w.Retarget(now_), 4.0);
}

}  // namespace
}  // namespace synth::hub
