#include "common/sv2/authority_key.h"

#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

// The specification's test vector (chapter 4.7.1).
constexpr XOnly kSpecKey = {118, 99,  112, 0,   151, 156, 28,  17,  175, 12,  48,
                            11,  205, 140, 127, 228, 134, 16,  252, 233, 185, 193,
                            30,  61,  174, 227, 90,  224, 176, 138, 116, 85};
constexpr char kSpecText[] = "9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh";

TEST(AuthorityKeyTest, SpecificationVector) {
  EXPECT_EQ(FormatAuthorityKey(kSpecKey), kSpecText);
  absl::StatusOr<XOnly> key = ParseAuthorityKey(kSpecText);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(*key, kSpecKey);
}

TEST(AuthorityKeyTest, Base58CheckKeepsLeadingZeros) {
  std::vector<uint8_t> payload = {0, 0, 1, 2, 3};
  std::string text = Base58CheckEncode(payload);
  EXPECT_EQ(text.substr(0, 2), "11");
  absl::StatusOr<std::vector<uint8_t>> back = Base58CheckDecode(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, payload);
}

TEST(AuthorityKeyTest, BadInputIsNamed) {
  std::string typo = kSpecText;
  typo[10] = typo[10] == 'a' ? 'b' : 'a';
  EXPECT_NE(ParseAuthorityKey(typo).status().message().find("checksum"), std::string::npos);
  EXPECT_NE(ParseAuthorityKey("9bXiEd0").status().message().find("alphabet"), std::string::npos);
  EXPECT_FALSE(ParseAuthorityKey("").ok());
  EXPECT_FALSE(ParseAuthorityKey(std::string(200, '2')).ok());
  // A valid base58check payload of the wrong shape: 33 bytes.
  std::vector<uint8_t> short_payload(33, 1);
  EXPECT_NE(ParseAuthorityKey(Base58CheckEncode(short_payload)).status().message().find("34"),
            std::string::npos);
  // Right length, wrong version prefix.
  std::vector<uint8_t> v2(34, 1);
  v2[0] = 2;
  v2[1] = 0;
  EXPECT_NE(ParseAuthorityKey(Base58CheckEncode(v2)).status().message().find("version"),
            std::string::npos);
  // Right shape, but x = 5 is not on the curve.
  std::vector<uint8_t> off(34, 0);
  off[0] = 1;
  off[33] = 5;
  EXPECT_NE(ParseAuthorityKey(Base58CheckEncode(off)).status().message().find("x coordinate"),
            std::string::npos);
}

}  // namespace
}  // namespace synth::sv2
