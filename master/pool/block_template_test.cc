#include "master/pool/block_template.h"

#include "common/bitcoin/merkle.h"
#include "common/stratum/job.h"
#include "gtest/gtest.h"

namespace synth::pool {
namespace {

TEST(BlockTemplateTest, CoinbaseHasBip34HeightAndExtranonceSlot) {
  TemplateOptions t;
  t.height = 0x0dbba0;  // 900000
  t.extranonce2_size = 8;
  std::vector<uint8_t> cb1, cb2;
  MakeCoinbase(t, &cb1, &cb2);
  // version(4) | 1 input | 32 zero | ffffffff | script len | 03 h h h | push(slot)
  ASSERT_EQ(cb1.size(), 4u + 1 + 32 + 4 + 1 + 4 + 1);
  EXPECT_EQ(cb1[41], 4 + 1 + 12 + 1 + 12);  // script length covers height, slot and tag
  EXPECT_EQ(cb1[42], 3);
  EXPECT_EQ(cb1[43], 0xa0);
  EXPECT_EQ(cb1[44], 0xbb);
  EXPECT_EQ(cb1[45], 0x0d);
  EXPECT_EQ(cb1[46], 4 + 8);  // extranonce1 + extranonce2
  EXPECT_EQ(cb2.back(), 0);   // lock time
  EXPECT_EQ(cb2[cb2.size() - 6], 0x88);
}

TEST(BlockTemplateTest, JobRoundTripsThroughNotifyAndHasMultiLevelBranch) {
  TemplateOptions t;
  t.tx_count = 6;
  stratum::StratumJob job = MakeTemplateJob(t, "abc", true, 1700000000);
  EXPECT_EQ(job.merkle_branch.size(), 3u);  // 7 transactions → 3 levels
  absl::StatusOr<stratum::StratumJob> back = stratum::ParseNotifyParams(stratum::ToNotifyParams(job));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, job);
  // The root from the branch equals the root of the full transaction list.
  std::vector<uint8_t> en1 = {1, 2, 3, 4}, en2 = {5, 6, 7, 8};
  bitcoin::Hash256 cb = bitcoin::Sha256dHash(bitcoin::AssembleCoinbase(job.coinb1, en1, en2, job.coinb2));
  EXPECT_EQ(stratum::JobMerkleRoot(job, en1, en2),
            bitcoin::MerkleRootFromBranch(cb, job.merkle_branch));
  stratum::StratumJob other = MakeTemplateJob(t, "abd", false, 1700000000);
  t.seed = 2;
  EXPECT_NE(MakeTemplateJob(t, "abc", true, 1700000000).merkle_branch, job.merkle_branch);
}

}  // namespace
}  // namespace synth::pool
