#include "common/bitcoin/header.h"

#include <string>

#include "common/bitcoin/hex.h"
#include "common/bitcoin/uint256.h"
#include "gtest/gtest.h"

namespace synth::bitcoin {
namespace {

struct RealBlock {
  const char* name;
  uint32_t version;
  const char* prev;    // display order
  const char* merkle;  // display order
  uint32_t ntime, nbits, nonce;
  const char* hash;  // display order
};

// Public mainnet blocks; each test checks that the header hashes to the block's known hash and
// that the hash meets the block's own target.
const RealBlock kBlocks[] = {
    {"genesis", 1, "0000000000000000000000000000000000000000000000000000000000000000",
     "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b", 1231006505, 0x1d00ffff,
     2083236893, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"},
    {"100000", 1, "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250",
     "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766", 1293623863, 0x1b04864c,
     274148111, "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506"},
    {"125552", 1, "00000000000008a3a41b85b8b29ad444def299fee21793cd8b9e567eab02cd81",
     "2b12fcf1b09288fcaff797d71e950e71ae42b91e8bdb2304758dfcffc2b620e3", 0x4dd7f5c7, 0x1a44b9f2,
     0x9546a142, "00000000000000001e8d6829a8a21adc5d38d0a473b144b6765798e61f98bd1d"},
    {"491133 (BIP9 version 0x20000000)", 0x20000000,
     "000000000000000000c17090fe039bd170c3b31125b48b7c66b5eaa629fd0d79",
     "7723968b0bd543ce0b316e3d62d523af1930cb38789fa29fa250ebafbfef32ed", 1508673134, 0x1800eb30,
     3019287940, "000000000000000000185aaf82c613176413c407c061ba254f7ef5713d82078d"},
};

BlockHeader FromDisplay(const RealBlock& b) {
  BlockHeader h;
  h.version = b.version;
  h.prev_hash = *HashFromDisplayHex(b.prev, "prev");
  h.merkle_root = *HashFromDisplayHex(b.merkle, "merkle");
  h.ntime = b.ntime;
  h.nbits = b.nbits;
  h.nonce = b.nonce;
  return h;
}

TEST(HeaderTest, RealBlocksHashToTheirKnownHashes) {
  for (const RealBlock& b : kBlocks) {
    BlockHeader h = FromDisplay(b);
    EXPECT_EQ(h.DisplayHash(), b.hash) << b.name;
    auto target = TargetFromBits(b.nbits);
    ASSERT_TRUE(target.ok());
    EXPECT_LE(Uint256::FromHash(h.Hash()), *target) << b.name;
    BlockHeader wrong = h;
    ++wrong.nonce;
    EXPECT_NE(wrong.DisplayHash(), b.hash);
  }
}

TEST(HeaderTest, ParsesARawBip9Header) {
  // Block 794143, version 0x20800000 (BIP9 signalling bits), from its raw 80 bytes.
  auto raw = HexToBytes(
      "000080200e102b98a160f4416c8ff0198db9b177523525c9de8a000000000000000000003b9b941003024e"
      "1afa90199732fdb1366a122ab0a5cacd3f7bcb8cb8815a811b560e8864697e051767c0c9fd",
      "header");
  ASSERT_TRUE(raw.ok());
  auto h = BlockHeader::Parse(*raw);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->version, 0x20800000u);
  EXPECT_EQ(h->nbits, 0x17057e69u);
  EXPECT_EQ(h->DisplayHash(), "0000000000000000000293bf6e86820d867cc4ca13cd98326af85bb3bebab9ac");
  auto again = h->Serialize();
  EXPECT_TRUE(std::equal(again.begin(), again.end(), raw->begin()));
}

TEST(HeaderTest, SerializesFieldsLittleEndian) {
  BlockHeader h = FromDisplay(kBlocks[2]);
  auto bytes = h.Serialize();
  EXPECT_EQ(BytesToHex(std::span(bytes).subspan(0, 4)), "01000000");
  EXPECT_EQ(BytesToHex(std::span(bytes).subspan(68, 4)), "c7f5d74d");
  EXPECT_EQ(BytesToHex(std::span(bytes).subspan(72, 4)), "f2b9441a");
  EXPECT_EQ(BytesToHex(std::span(bytes).subspan(76, 4)), "42a14695");
}

TEST(HeaderTest, RejectsWrongLengths) {
  std::vector<uint8_t> bytes(79);
  EXPECT_EQ(BlockHeader::Parse(bytes).status().code(), absl::StatusCode::kInvalidArgument);
  bytes.resize(81);
  EXPECT_FALSE(BlockHeader::Parse(bytes).ok());
  EXPECT_FALSE(HashFromDisplayHex("00", "prev").ok());
}

}  // namespace
}  // namespace synth::bitcoin
