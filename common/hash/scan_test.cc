#include "common/hash/scan.h"

#include <random>

#include "gtest/gtest.h"

namespace synth::hash {
namespace {

TEST(ScanTest, HashNonceEqualsSha256dOfTheFullHeader) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    uint8_t header[80];
    for (auto& b : header) b = static_cast<uint8_t>(rng());
    uint32_t nonce = rng();
    header[76] = static_cast<uint8_t>(nonce);
    header[77] = static_cast<uint8_t>(nonce >> 8);
    header[78] = static_cast<uint8_t>(nonce >> 16);
    header[79] = static_cast<uint8_t>(nonce >> 24);
    ScanWork work = MakeScanWork(header, Target256{});
    EXPECT_EQ(HashNonce(work, nonce), Sha256d(header));
    EXPECT_NE(HashNonce(work, nonce + 1), Sha256d(header));
  }
}

TEST(ScanTest, MeetsTargetEdges) {
  Digest hash{};
  hash[0] = 5;    // least significant byte
  hash[31] = 1;   // most significant byte
  Target256 words = HashAsWords(hash);
  EXPECT_EQ(words[0], 5u);
  EXPECT_EQ(words[7], 0x01000000u);
  EXPECT_TRUE(MeetsTarget(hash, words));  // equal meets
  Target256 below = words;
  below[0] = 4;
  EXPECT_FALSE(MeetsTarget(hash, below));
  Target256 above = words;
  above[7] = 0x01000001;
  above[0] = 0;
  EXPECT_TRUE(MeetsTarget(hash, above));
  EXPECT_FALSE(MeetsTarget(hash, Target256{}));
  Target256 max;
  max.fill(0xffffffff);
  EXPECT_TRUE(MeetsTarget(hash, max));
}

}  // namespace
}  // namespace synth::hash
