#include "common/sv2/field.h"

#include <random>

#include "common/bitcoin/hex.h"
#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

Fe FromHex(const std::string& hex) {
  auto bytes = bitcoin::HexToArray<32>(hex, "fe");
  EXPECT_TRUE(bytes.ok());
  return Fe::FromBytes(*bytes);
}

std::string Hex(const Fe& f) { return bitcoin::BytesToHex(f.ToBytes()); }

Fe Random(std::mt19937_64& rng) {
  std::array<uint8_t, 32> b;
  for (uint8_t& x : b) x = static_cast<uint8_t>(rng());
  return Fe::FromBytes(b);
}

const char kPMinus1[] = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2e";

TEST(FieldTest, ReducesInputsAtOrAboveP) {
  EXPECT_TRUE(FromHex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f").IsZero());
  EXPECT_EQ(Hex(FromHex(std::string(64, 'f'))),
            "00000000000000000000000000000000000000000000000000000001000003d0");
  EXPECT_EQ(Hex(FromHex(kPMinus1)), kPMinus1);
}

TEST(FieldTest, ArithmeticAtTheEdges) {
  Fe minus_one = FromHex(kPMinus1);
  EXPECT_EQ(minus_one, -Fe(1));
  EXPECT_EQ(minus_one * minus_one, Fe(1));
  EXPECT_EQ(minus_one + minus_one, -Fe(2));
  EXPECT_EQ(Fe(0) - Fe(1), minus_one);
  EXPECT_EQ(minus_one + Fe(1), Fe(0));
  // 2^255 * 2 = 2^256 = 2^32 + 977 (mod p).
  Fe two_255 = FromHex("8000000000000000000000000000000000000000000000000000000000000000");
  EXPECT_EQ(two_255 * Fe(2), Fe(0x1000003D1ULL));
  EXPECT_EQ(two_255 + two_255, Fe(0x1000003D1ULL));
}

TEST(FieldTest, SqrtOfMinusThreeIsBip324Constant) {
  std::optional<Fe> c0 = (-Fe(3)).Sqrt();
  ASSERT_TRUE(c0.has_value());
  EXPECT_EQ(Hex(*c0), "0a2d2ba93507f1df233770c2a797962cc61f6d15da14ecd47d8d27ae1cd5f852");
  EXPECT_FALSE((-Fe(1)).IsSquare());  // p = 3 mod 4
  EXPECT_EQ(Fe(0).Sqrt(), Fe(0));
}

TEST(FieldTest, RandomIdentities) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    Fe a = Random(rng);
    Fe b = Random(rng);
    Fe c = Random(rng);
    EXPECT_EQ((a + b) - b, a);
    EXPECT_EQ(a * (b + c), a * b + a * c);
    EXPECT_EQ((a * b) * c, a * (b * c));
    if (!a.IsZero()) {
      EXPECT_EQ(a * a.Inverse(), Fe(1));
    }
    Fe sq = a.Square();
    std::optional<Fe> r = sq.Sqrt();
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(*r == a || *r == -a);
    EXPECT_EQ(Fe::FromBytes(a.ToBytes()), a);
  }
}

TEST(FieldTest, ValidX) {
  // The generator's x coordinate.
  EXPECT_TRUE(
      IsValidX(FromHex("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")));
  EXPECT_FALSE(IsValidX(Fe(5)));  // 5^3 + 7 = 132 is not a square mod p
}

}  // namespace
}  // namespace synth::sv2
