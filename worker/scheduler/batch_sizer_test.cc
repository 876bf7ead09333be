#include "worker/scheduler/batch_sizer.h"

#include <cmath>

#include "gtest/gtest.h"

namespace synth::worker {
namespace {

TEST(BatchSizerTest, ConvergesToRateTimesTarget) {
  BatchSizing sizing{.target = absl::Milliseconds(100)};
  uint64_t batch = 1 << 12;
  for (int i = 0; i < 20; ++i) batch = NextBatchSize(sizing, 10e6, batch);
  EXPECT_EQ(batch, 1000000u & ~uint64_t{255});
}

TEST(BatchSizerTest, GrowthIsLimitedPerStep) {
  BatchSizing sizing{.target = absl::Milliseconds(100), .max_growth = 4};
  EXPECT_EQ(NextBatchSize(sizing, 1e9, 1 << 12), uint64_t{1} << 14);
}

TEST(BatchSizerTest, ShrinksAtOnceWhenTheDeviceSlowsDown) {
  BatchSizing sizing{.target = absl::Milliseconds(100)};
  EXPECT_EQ(NextBatchSize(sizing, 1e5, 1 << 24), 9984u);  // 10000 rounded down to 256s.
}

TEST(BatchSizerTest, UnknownRateKeepsCurrentWithinBounds) {
  BatchSizing sizing{.min_batch = 1024, .max_batch = 1 << 20};
  EXPECT_EQ(NextBatchSize(sizing, 0, 5000), 5000u);
  EXPECT_EQ(NextBatchSize(sizing, -1, 1), 1024u);
  EXPECT_EQ(NextBatchSize(sizing, std::nan(""), uint64_t{1} << 30), uint64_t{1} << 20);
}

TEST(BatchSizerTest, ClampsToMaxBatch) {
  BatchSizing sizing{.target = absl::Seconds(10), .max_batch = uint64_t{1} << 32};
  uint64_t batch = uint64_t{1} << 31;
  EXPECT_EQ(NextBatchSize(sizing, 1e12, batch), uint64_t{1} << 32);
}

}  // namespace
}  // namespace synth::worker
