#include "common/bitcoin/uint256.h"

#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace synth::bitcoin {
namespace {

std::string Hex(const absl::StatusOr<Uint256>& v) {
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? v->ToDisplayHex() : "";
}

std::string Pad(std::string prefix) { return prefix + std::string(64 - prefix.size(), '0'); }

TEST(Uint256Test, DisplayHexRoundTripAndOrder) {
  std::string hex = "00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d";
  auto v = Uint256::FromDisplayHex(hex);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->ToDisplayHex(), hex);
  EXPECT_EQ(v->words()[7], 0u);
  EXPECT_EQ(v->words()[0], 0x1f98bd1du);
  EXPECT_LT(*v, Diff1Target());
  EXPECT_FALSE(Uint256::FromDisplayHex("12").ok());
}

struct DifficultyCase {
  double difficulty;
  std::string target;
};

TEST(Uint256Test, DifficultyToTargetTable) {
  const DifficultyCase cases[] = {
      {1, Pad("00000000ffff")},
      {1024, Pad("00000000003fffc")},
      {0.5, Pad("00000001fffe")},
      {65535, Pad("0000000000010000")},
      {4294967296.0, Pad("0000000000000000ffff")},
      {1.0 / 65536, Pad("0000ffff")},
      {3, Pad("0000000055550")},
      // Fractional pool difficulties are exact floors of diff1 / (the double's exact value),
      // computed independently with Python's fractions.Fraction.
      {1000, "00000000004188f5c28f5c28f5c28f5c28f5c28f5c28f5c28f5c28f5c28f5c28"},
      {16384.5, "000000000003fff40017ffd0005fff40017ffd0005fff40017ffd0005fff4001"},
      {0.1, "00000009fff5ffffffffd80028000000009fff5ffffffffd80028000000009ff"},
      {0.001, "000003e7fc17fffffffa2405dc00000008c9f735fffffff2d10d2f00000013c6"},
      {1e-9, "3b9a8e6535fffef481b5fe088151b0791619e09d7e3f36fccfbaa4c14955fdb7"},
      {3e15, "000000000000000000001804d2244a499306bb20b13b58d375046243c1fc511c"},
      {std::ldexp(1.0, -31), Pad("7fff8")},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Hex(TargetFromDifficulty(c.difficulty)), c.target) << c.difficulty;
  }
}

TEST(Uint256Test, DifficultyRoundTripsThroughTarget) {
  for (double d : {0.001, 0.5, 1.0, 3.5, 1024.0, 1e6, 7.25e12}) {
    auto t = TargetFromDifficulty(d);
    ASSERT_TRUE(t.ok());
    EXPECT_NEAR(DifficultyFromTarget(*t) / d, 1.0, 1e-9) << d;
  }
}

TEST(Uint256Test, RejectsInvalidDifficulty) {
  for (double d : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    auto t = TargetFromDifficulty(d);
    ASSERT_FALSE(t.ok()) << d;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(Uint256Test, ExtremeDifficultiesSaturate) {
  const std::string max(64, 'f');
  const std::string one = std::string(63, '0') + "1";
  EXPECT_EQ(Hex(TargetFromDifficulty(1e-80)), max);
  EXPECT_EQ(Hex(TargetFromDifficulty(std::numeric_limits<double>::denorm_min())), max);
  EXPECT_EQ(Hex(TargetFromDifficulty(std::ldexp(1.0, -32))), Pad("ffff"));  // 0xffff * 2^240
  EXPECT_EQ(Hex(TargetFromDifficulty(std::ldexp(1.0, -33))), max);
  EXPECT_EQ(Hex(TargetFromDifficulty(1e80)), one);
  EXPECT_EQ(Hex(TargetFromDifficulty(std::numeric_limits<double>::max())), one);
}

TEST(Uint256Test, HashMeetsTargetAtTheBoundary) {
  auto target = Uint256::FromDisplayHex(Pad("00000000003fffc"));  // difficulty 1024
  ASSERT_TRUE(target.ok());
  hash::Digest hash{};  // Internal order: the last bytes are the most significant.
  hash[24] = 0xc0;
  hash[25] = 0xff;
  hash[26] = 0x3f;
  EXPECT_EQ(Uint256::FromHash(hash), *target);
  EXPECT_LE(Uint256::FromHash(hash), *target);
  EXPECT_TRUE(hash::MeetsTarget(hash, target->words()));
  hash[0] = 1;  // One above the target.
  EXPECT_GT(Uint256::FromHash(hash), *target);
  EXPECT_FALSE(hash::MeetsTarget(hash, target->words()));
  EXPECT_NEAR(DifficultyFromTarget(Uint256::FromHash(hash)), 1024.0, 1e-9);
}

struct BitsCase {
  uint32_t bits;
  std::string target;
};

TEST(Uint256Test, BitsTable) {
  const BitsCase cases[] = {
      {0x1d00ffff, Pad("00000000ffff")},            // genesis
      {0x1a44b9f2, Pad("00000000000044b9f2")},      // block 125552
      {0x1b04864c, Pad("000000000004864c")},        // block 100000
      {0x1800eb30, Pad("000000000000000000eb30")},  // block 491133
      {0x17057e06, Pad("000000000000000000057e06")},
  };
  for (const auto& c : cases) {
    auto t = TargetFromBits(c.bits);
    EXPECT_EQ(Hex(t), c.target) << std::hex << c.bits;
    if (t.ok()) {
      EXPECT_EQ(BitsFromTarget(*t), c.bits) << std::hex << c.bits;
    }
  }
  EXPECT_EQ(BitsFromTarget(Diff1Target()), 0x1d00ffffu);
}

TEST(Uint256Test, DifficultyOfRealBlockTargets) {
  // Difficulty as block explorers show it for the block's nbits.
  const struct {
    uint32_t bits;
    double difficulty;
  } cases[] = {
      {0x1d00ffff, 1.0},                 // genesis
      {0x1b04864c, 14484.162361225399},  // block 100000
      {0x1a44b9f2, 244112.48777433642},  // block 125552
      {0x1800eb30, 1196792694098.7935},  // block 491133
  };
  for (const auto& c : cases) {
    auto t = TargetFromBits(c.bits);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_DOUBLE_EQ(DifficultyFromTarget(*t), c.difficulty) << std::hex << c.bits;
  }
  EXPECT_EQ(DifficultyFromTarget(Uint256()), std::numeric_limits<double>::infinity());
}

TEST(Uint256Test, RejectsBadBits) {
  // Negative, zero mantissa, overflow (twice), and mantissas shifted out by a small exponent.
  for (uint32_t bits :
       {0x1d80ffffu, 0x1d000000u, 0x21010000u, 0xff123456u, 0x01003456u, 0x02000056u}) {
    auto t = TargetFromBits(bits);
    ASSERT_FALSE(t.ok()) << std::hex << bits;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(t.status().message().find("nbits"), std::string::npos) << t.status();
  }
  EXPECT_TRUE(TargetFromBits(0x2100ffff).ok());
}

TEST(Uint256Test, SmallExponents) {
  EXPECT_EQ(Hex(TargetFromBits(0x03123456)), std::string(58, '0') + "123456");
  EXPECT_EQ(Hex(TargetFromBits(0x02123400)), std::string(60, '0') + "1234");
}

}  // namespace
}  // namespace synth::bitcoin
