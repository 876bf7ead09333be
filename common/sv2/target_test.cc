#include "common/sv2/target.h"

#include <random>

#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

TEST(TargetTest, ByteOrderIsLittleEndian) {
  U256 t = *TargetForDifficulty(1);  // 0x00000000FFFF0000...: bytes 26, 27 are 0xff
  EXPECT_EQ(t[31], 0);
  EXPECT_EQ(t[27], 0xff);
  EXPECT_EQ(t[26], 0xff);
  EXPECT_EQ(t[25], 0);
  EXPECT_EQ(FromU256(t), bitcoin::Diff1Target());
  EXPECT_DOUBLE_EQ(*DifficultyForTarget(t), 1.0);
}

TEST(TargetTest, DifficultyNeverEasierThanTheTarget) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 2000; ++i) {
    U256 t{};
    int top = 10 + static_cast<int>(rng() % 22);  // Targets across many magnitudes.
    for (int b = 0; b <= top; ++b) t[b] = static_cast<uint8_t>(rng());
    absl::StatusOr<double> d = DifficultyForTarget(t);
    ASSERT_TRUE(d.ok());
    EXPECT_LE(*bitcoin::TargetFromDifficulty(*d), FromU256(t));
  }
  EXPECT_FALSE(DifficultyForTarget(U256{}).ok());
  EXPECT_GT(*DifficultyForTarget(MaxTarget()), 0);
}

}  // namespace
}  // namespace synth::sv2
