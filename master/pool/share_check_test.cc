#include "common/stratum/share_check.h"

#include "gtest/gtest.h"
#include "master/pool/block_template.h"
#include "master/pool/find_share.h"

namespace synth::pool {
namespace {

using stratum::CheckShare;
using stratum::JobTerms;
using stratum::kNtimeWindowS;
using stratum::ShareVerdict;

constexpr double kDiff = 1e-5;

class ShareCheckTest : public ::testing::Test {
 protected:
  stratum::StratumJob job_ = MakeTemplateJob(TemplateOptions{}, "j1", true, 1700000000);
  JobTerms terms_{kDiff, {0xaa, 0xbb, 0xcc, 0xdd}, 4};
  std::vector<uint8_t> en2_{0, 0, 0, 1};

  stratum::SubmitParams Share(uint32_t nonce) {
    return stratum::SubmitParams{"w", "j1", en2_, job_.ntime, nonce, std::nullopt};
  }
};

TEST_F(ShareCheckTest, AcceptsAValidShareAndRejectsALowOne) {
  std::optional<uint32_t> good = FindNonce(job_, terms_.extranonce1, en2_, job_.version, job_.ntime, kDiff);
  ASSERT_TRUE(good.has_value());
  ShareVerdict v = CheckShare(job_, terms_, 0, Share(*good));
  EXPECT_TRUE(v.accepted) << v.reason;
  EXPECT_GE(v.share_difficulty, kDiff);
  std::optional<uint32_t> bad =
      FindNonce(job_, terms_.extranonce1, en2_, job_.version, job_.ntime, kDiff, 0, 1000, true);
  ASSERT_TRUE(bad.has_value());
  v = CheckShare(job_, terms_, 0, Share(*bad));
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.code, stratum::kErrLowDifficulty);
  // The same nonce under another extranonce1 is a different header.
  JobTerms other = terms_;
  other.extranonce1 = {1, 1, 1, 1};
  other.difficulty = 1;
  EXPECT_EQ(CheckShare(job_, other, 0, Share(*good)).code, stratum::kErrLowDifficulty);
}

TEST_F(ShareCheckTest, NtimeWindowAndExtranonce2Size) {
  stratum::SubmitParams s = Share(0);
  s.ntime = job_.ntime - 1;
  EXPECT_EQ(CheckShare(job_, terms_, 0, s).reason, "Ntime out of range");
  s.ntime = job_.ntime + kNtimeWindowS + 1;
  EXPECT_EQ(CheckShare(job_, terms_, 0, s).reason, "Ntime out of range");
  s = Share(0);
  s.extranonce2 = {1, 2};
  EXPECT_EQ(CheckShare(job_, terms_, 0, s).code, stratum::kErrOther);
}

TEST_F(ShareCheckTest, VersionBitsOnlyInsideTheMask) {
  constexpr uint32_t kMask = 0x1fffe000;
  stratum::SubmitParams s = Share(0);
  s.version_bits = 0x00004000;
  EXPECT_EQ(CheckShare(job_, terms_, 0, s).reason, "Version rolling not negotiated");
  s.version_bits = 0x80000000;  // Old firmware's negative nVersion.
  EXPECT_EQ(CheckShare(job_, terms_, kMask, s).reason, "Invalid version mask");
  uint32_t version = (job_.version & ~kMask) | (0x00004000 & kMask);
  std::optional<uint32_t> good = FindNonce(job_, terms_.extranonce1, en2_, version, job_.ntime, kDiff);
  ASSERT_TRUE(good.has_value());
  s = Share(*good);
  s.version_bits = 0x00004000;
  EXPECT_TRUE(CheckShare(job_, terms_, kMask, s).accepted);
  s.version_bits.reset();  // Without the bits it is another header, and (very likely) low.
  EXPECT_FALSE(CheckShare(job_, terms_, kMask, s).accepted &&
               !FindNonce(job_, terms_.extranonce1, en2_, job_.version, job_.ntime, kDiff, *good, 1));
}

}  // namespace
}  // namespace synth::pool
