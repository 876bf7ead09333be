#include "worker/conn/backoff.h"

#include <set>

#include "gtest/gtest.h"

namespace synth::worker {
namespace {

TEST(BackoffTest, GrowsByMultiplierWithinJitterUpToMax) {
  BackoffPolicy policy{.initial = absl::Milliseconds(100), .multiplier = 2, .jitter = 0.2,
                       .max = absl::Seconds(1)};
  Backoff backoff(policy, 42);
  double expected[] = {0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0};
  for (double base : expected) {
    double got = absl::ToDoubleSeconds(backoff.Next());
    EXPECT_GE(got, base * 0.8 - 1e-9);
    EXPECT_LE(got, base * 1.2 + 1e-9);
  }
  EXPECT_EQ(backoff.Attempts(), 7);
}

TEST(BackoffTest, ResetStartsSmallAgain) {
  Backoff backoff(BackoffPolicy{}, 1);
  for (int i = 0; i < 10; ++i) backoff.Next();
  backoff.Reset();
  EXPECT_LE(backoff.Next(), absl::Milliseconds(300));
}

TEST(BackoffTest, WorkersWithDifferentSeedsDoNotReconnectInLockstep) {
  std::set<int64_t> first_delays;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Backoff backoff(BackoffPolicy{}, seed);
    first_delays.insert(absl::ToInt64Microseconds(backoff.Next()));
  }
  EXPECT_GT(first_delays.size(), 15u);
}

TEST(BackoffTest, NoJitterIsExact) {
  Backoff backoff(BackoffPolicy{.initial = absl::Seconds(1), .multiplier = 1.5, .jitter = 0},
                  3);
  EXPECT_EQ(backoff.Next(), absl::Seconds(1));
  EXPECT_EQ(backoff.Next(), absl::Seconds(1.5));
}

}  // namespace
}  // namespace synth::worker
