#include "common/bitcoin/hex.h"

#include "gtest/gtest.h"

namespace synth::bitcoin {
namespace {

TEST(HexTest, RoundTripsBothCases) {
  auto bytes = HexToBytes("00ffA0b1", "f");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, (std::vector<uint8_t>{0x00, 0xff, 0xa0, 0xb1}));
  EXPECT_EQ(BytesToHex(*bytes), "00ffa0b1");
  EXPECT_EQ(BytesToHexReversed(*bytes), "b1a0ff00");
}

TEST(HexTest, EmptyIsEmpty) {
  auto bytes = HexToBytes("", "f");
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(bytes->empty());
}

TEST(HexTest, RejectsOddLengthNamingTheField) {
  auto bytes = HexToBytes("abc", "coinb1");
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bytes.status().message().find("coinb1"), std::string::npos);
}

TEST(HexTest, RejectsNonHexDigits) {
  for (const char* bad : {"0g", "zz", "0x12", " 1", "1-", "\xff\xff"}) {
    auto bytes = HexToBytes(bad, "field");
    EXPECT_FALSE(bytes.ok()) << bad;
  }
}

TEST(HexTest, FixedSizeChecksLength) {
  EXPECT_TRUE(HexToArray<4>("01020304", "x").ok());
  auto short_one = HexToArray<4>("010203", "ntime");
  ASSERT_FALSE(short_one.ok());
  EXPECT_NE(short_one.status().message().find("ntime"), std::string::npos);
  EXPECT_FALSE(HexToArray<4>("0102030405", "x").ok());
}

TEST(HexTest, U32BigEndian) {
  auto v = HexToU32BigEndian("20000000", "version");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 0x20000000u);
  EXPECT_EQ(U32ToHexBigEndian(0x1a44b9f2), "1a44b9f2");
  EXPECT_FALSE(HexToU32BigEndian("2000000", "version").ok());
  EXPECT_FALSE(HexToU32BigEndian("2000000g", "version").ok());
}

}  // namespace
}  // namespace synth::bitcoin
