#include "master/lease/pool_split.h"

#include <string>
#include <vector>

#include "common/clock.h"
#include "gtest/gtest.h"

namespace synth::lease {
namespace {

PoolSplitConfig MustParse(const SplitFlags& flags, size_t pools) {
  absl::StatusOr<std::optional<PoolSplitConfig>> c = ParseSplitFlags(flags, pools);
  EXPECT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c.ok() && c->has_value());
  return c.ok() && c->has_value() ? **c : PoolSplitConfig();
}

std::string Error(const SplitFlags& flags, size_t pools) {
  absl::StatusOr<std::optional<PoolSplitConfig>> c = ParseSplitFlags(flags, pools);
  EXPECT_FALSE(c.ok());
  if (!c.ok()) {
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  }
  return std::string(c.status().message());
}

TEST(PoolSplitTest, NoSplitFlagsKeepTheFailoverList) {
  absl::StatusOr<std::optional<PoolSplitConfig>> c = ParseSplitFlags({}, 3);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
  c = ParseSplitFlags({.schedule_tz = "Europe/Berlin"}, 3);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->has_value());
}

TEST(PoolSplitTest, DefaultsFollowWhatWasGiven) {
  PoolSplitConfig w = MustParse({.weights = "70, 30"}, 2);
  EXPECT_EQ(w.weights, (std::vector<double>{70, 30}));
  EXPECT_EQ(w.levels, (std::vector<int>{0, 0}));  // Weights alone: one level.
  PoolSplitConfig l = MustParse({.pool_level = "0,0,1"}, 3);
  EXPECT_EQ(l.weights, (std::vector<double>{1, 1, 1}));
  EXPECT_EQ(l.levels, (std::vector<int>{0, 0, 1}));
  PoolSplitConfig s = MustParse({.schedule = "17:00-21:00 weights=0,0,0", .schedule_tz = "UTC"}, 3);
  EXPECT_EQ(s.levels, (std::vector<int>{0, 1, 2}));  // No weights: the failover order.
  EXPECT_EQ(s.schedule.windows().size(), 1u);
}

TEST(PoolSplitTest, BadFlagsNameTheFlag) {
  EXPECT_EQ(Error({.weights = "70"}, 2), "--weights has 1 weights for 2 pools (one per --pool)");
  EXPECT_EQ(Error({.weights = "70,x"}, 2), "--weights weight 2 'x' is not a number >= 0");
  EXPECT_EQ(Error({.weights = "0,0"}, 2), "--weights are all zero");
  EXPECT_EQ(Error({.weights = "1,inf"}, 2), "--weights weight 2 'inf' is not a number >= 0");
  EXPECT_EQ(Error({.pool_level = "0"}, 2), "--pool-level has 1 levels for 2 pools (one per --pool)");
  EXPECT_EQ(Error({.pool_level = "0,-1"}, 2),
            "--pool-level level 2 '-1' is not a whole number from 0 to 999");
  EXPECT_EQ(Error({.pool_level = "0,1.5"}, 2),
            "--pool-level level 2 '1.5' is not a whole number from 0 to 999");
  EXPECT_EQ(Error({.weights = "1", .schedule_tz = "Nowhere/City"}, 1),
            "--schedule-tz: unknown time zone 'Nowhere/City' (not in the system tzdata)");
  EXPECT_NE(Error({.weights = "1,1", .schedule = "08:00-09:00 weights=1,1"}, 2).find("no time zone"),
            std::string::npos);
  EXPECT_EQ(Error({.weights = "1"}, 0), "a pool split needs at least one --pool");
}

TEST(PoolSplitTest, SharesFollowWeightsAmongLivePools) {
  SplitPolicy policy(MustParse({.weights = "70,30"}, 2));
  absl::Time now = absl::UnixEpoch();
  SplitTargets t = policy.Targets(now, {true, true});
  EXPECT_DOUBLE_EQ(t.shares[0], 0.7);
  EXPECT_DOUBLE_EQ(t.shares[1], 0.3);
  EXPECT_EQ(t.level, 0);
  EXPECT_EQ(t.window, -1);
  t = policy.Targets(now, {false, true});  // Pool 0 down: pool 1 takes its share.
  EXPECT_EQ(t.shares, (std::vector<double>{0, 1}));
  t = policy.Targets(now, {false, false});
  EXPECT_FALSE(t.any());
  EXPECT_FALSE(t.paused);
  EXPECT_EQ(t.shares, (std::vector<double>{0, 0}));
}

TEST(PoolSplitTest, FirstLevelWithALivePoolGetsAllWork) {
  SplitPolicy policy(MustParse({.weights = "70,30,1,5", .pool_level = "0,0,1,2"}, 4));
  absl::Time now = absl::UnixEpoch();
  SplitTargets t = policy.Targets(now, {true, true, true, true});
  EXPECT_DOUBLE_EQ(t.shares[0], 0.7);
  EXPECT_DOUBLE_EQ(t.shares[1], 0.3);
  EXPECT_EQ(t.shares[2], 0);
  t = policy.Targets(now, {false, true, true, true});
  EXPECT_EQ(t.shares, (std::vector<double>{0, 1, 0, 0}));
  t = policy.Targets(now, {false, false, true, true});
  EXPECT_EQ(t.level, 1);
  EXPECT_EQ(t.shares, (std::vector<double>{0, 0, 1, 0}));
  t = policy.Targets(now, {false, false, false, true});
  EXPECT_EQ(t.level, 2);
  t = policy.Targets(now, {true, false, true, true});  // Pool 0 is back: level 0 again.
  EXPECT_EQ(t.level, 0);
  EXPECT_EQ(t.shares, (std::vector<double>{1, 0, 0, 0}));
}

TEST(PoolSplitTest, ZeroWeightMeansNoWork) {
  SplitPolicy policy(MustParse(
      {.weights = "70,30,1", .pool_level = "0,0,1",
       .schedule = "Mon 08:00-09:00 weights=0,100,1; Tue 08:00-09:00 weights=0,0,0",
       .schedule_tz = "UTC"}, 3));
  absl::Time monday = absl::FromCivil(absl::CivilMinute(2025, 6, 2, 8, 30), absl::UTCTimeZone());
  // Pool 1 down: pool 0 (weight 0 now) gets nothing, the fallback level takes over.
  SplitTargets t = policy.Targets(monday, {true, false, true});
  EXPECT_EQ(t.level, 1);
  EXPECT_EQ(t.shares, (std::vector<double>{0, 0, 1}));
  // Every weight 0: mining pauses whatever is live.
  t = policy.Targets(monday + absl::Hours(24), {true, true, true});
  EXPECT_TRUE(t.paused);
  EXPECT_FALSE(t.any());
  EXPECT_EQ(t.window, 1);
}

TEST(PoolSplitTest, ScheduleSwitchesWeightsAtTheSetMinute) {
  SplitPolicy policy(MustParse({.weights = "70,30",
                                .schedule = "Mon-Fri 08:00-20:00 weights=0,100",
                                .schedule_tz = "Europe/Berlin"},
                               2));
  // Monday 2025-06-02 07:58:30 in Berlin (CEST, UTC+2).
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2025, 6, 2, 5, 58, 30), absl::UTCTimeZone()));
  EXPECT_DOUBLE_EQ(policy.Targets(clock.Now(), {true, true}).shares[0], 0.7);
  clock.Advance(absl::Seconds(60));  // 07:59:30.
  EXPECT_DOUBLE_EQ(policy.Targets(clock.Now(), {true, true}).shares[0], 0.7);
  clock.Advance(absl::Seconds(29));  // 07:59:59.
  EXPECT_EQ(policy.Targets(clock.Now(), {true, true}).window, -1);
  clock.Advance(absl::Seconds(1));  // 08:00:00.
  SplitTargets t = policy.Targets(clock.Now(), {true, true});
  EXPECT_EQ(t.window, 0);
  EXPECT_EQ(t.shares, (std::vector<double>{0, 1}));
  clock.Advance(absl::Hours(12) - absl::Seconds(1));  // 19:59:59.
  EXPECT_EQ(policy.Targets(clock.Now(), {true, true}).window, 0);
  clock.Advance(absl::Seconds(1));  // 20:00:00: the base weights again.
  EXPECT_DOUBLE_EQ(policy.Targets(clock.Now(), {true, true}).shares[1], 0.3);
}

}  // namespace
}  // namespace synth::lease
