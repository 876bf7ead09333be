#include "common/bitcoin/merkle.h"

#include <random>

#include "common/bitcoin/hex.h"
#include "gtest/gtest.h"

namespace synth::bitcoin {
namespace {

// Block 100000: four transactions (txids in display order) and its merkle root.
const char* kTxids[] = {"8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
                        "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
                        "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
                        "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d"};
const char* kRoot = "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766";
const char* kCoinbase =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff08044c"
    "86041b020602ffffffff0100f2052a010000004341041b0e8c2567c12536aa13357b79a073dc4444acb83c4e"
    "c7a0e2f99dd7457516c5817242da796924ca4e99947d087fedf9ce467cb9f7c6287078f801df276fdf84ac00"
    "000000";

std::vector<Hash256> Txids() {
  std::vector<Hash256> out;
  for (const char* t : kTxids) out.push_back(*HashFromDisplayHex(t, "txid"));
  return out;
}

TEST(MerkleTest, CoinbaseHashesToItsTxid) {
  auto cb = HexToBytes(kCoinbase, "coinbase");
  ASSERT_TRUE(cb.ok());
  EXPECT_EQ(BytesToHexReversed(Sha256dHash(*cb)), kTxids[0]);
}

TEST(MerkleTest, RootOfBlock100000) { EXPECT_EQ(BytesToHexReversed(MerkleRoot(Txids())), kRoot); }

TEST(MerkleTest, BranchFoldsToTheRoot) {
  std::vector<Hash256> txids = Txids();
  std::vector<Hash256> branch = MerkleBranchForFirst(txids);
  ASSERT_EQ(branch.size(), 2u);
  EXPECT_EQ(BytesToHex(branch[0]),
            "c40297f730dd7b5a99567eb8d27b78758f607507c52292d02d4031895b52f2ff");
  EXPECT_EQ(BytesToHexReversed(MerkleRootFromBranch(txids[0], branch)), kRoot);
}

TEST(MerkleTest, BranchMatchesFullTreeForEveryCount) {
  std::mt19937 rng(7);
  for (size_t n = 1; n <= 17; ++n) {
    std::vector<Hash256> txids(n);
    for (auto& t : txids)
      for (auto& b : t) b = static_cast<uint8_t>(rng());
    EXPECT_EQ(MerkleRootFromBranch(txids[0], MerkleBranchForFirst(txids)), MerkleRoot(txids)) << n;
  }
  std::vector<Hash256> one(1);
  EXPECT_TRUE(MerkleBranchForFirst(one).empty());
}

TEST(MerkleTest, AssemblesCoinbaseInOrder) {
  std::vector<uint8_t> a{1}, b{2, 3}, c{4}, d{5, 6};
  EXPECT_EQ(AssembleCoinbase(a, b, c, d), (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
}

}  // namespace
}  // namespace synth::bitcoin
