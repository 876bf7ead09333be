#include "master/jobs/job_builder.h"

#include <cstring>

#include "common/bitcoin/uint256.h"
#include "common/hash/sha256.h"
#include "gtest/gtest.h"
#include "master/jobs/test_jobs.h"

namespace synth::jobs {
namespace {

// The plain reference: coinbase → merkle root → header → sha256d, written out independently.
hash::Digest ReferenceHash(const UpstreamJob& j, const std::vector<uint8_t>& en2, uint32_t version,
                           uint32_t nonce) {
  std::vector<uint8_t> cb = j.notify.coinb1;
  cb.insert(cb.end(), j.extranonce1.begin(), j.extranonce1.end());
  cb.insert(cb.end(), en2.begin(), en2.end());
  cb.insert(cb.end(), j.notify.coinb2.begin(), j.notify.coinb2.end());
  hash::Digest root = hash::Sha256d(cb);
  for (const auto& b : j.notify.merkle_branch) {
    std::vector<uint8_t> pair(root.begin(), root.end());
    pair.insert(pair.end(), b.begin(), b.end());
    root = hash::Sha256d(pair);
  }
  std::vector<uint8_t> h;
  auto le32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i) h.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  le32(version);
  h.insert(h.end(), j.notify.prev_hash.begin(), j.notify.prev_hash.end());
  h.insert(h.end(), root.begin(), root.end());
  le32(j.notify.ntime);
  le32(j.notify.nbits);
  le32(nonce);
  return hash::Sha256d(h);
}

// The share target is common/bitcoin's TargetFromDifficulty (uint256_test covers its values).
TEST(JobBuilderTest, TargetIsDiff1OverTheJobsDifficulty) {
  absl::StatusOr<JobBuilder> b = JobBuilder::Create(TestJob("a", 1, 1024.0), "k");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(bitcoin::Uint256(b->target()).ToDisplayHex(),
            "00000000003fffc0000000000000000000000000000000000000000000000000");
}

TEST(JobBuilderTest, RejectsBadJobs) {
  UpstreamJob j = TestJob("a");
  j.extranonce2_size = 0;
  EXPECT_EQ(JobBuilder::Create(j, "k").status().code(), absl::StatusCode::kInvalidArgument);
  j = TestJob("a");
  j.difficulty = 0;
  EXPECT_EQ(JobBuilder::Create(j, "k").status().code(), absl::StatusCode::kInvalidArgument);
  j = TestJob("");
  EXPECT_FALSE(JobBuilder::Create(j, "k").ok());
}

TEST(JobBuilderTest, MidstatesEqualReferenceHeaderHashing) {
  UpstreamJob j = TestJob("job1", 3);
  absl::StatusOr<JobBuilder> b = JobBuilder::Create(j, "1/job1");
  ASSERT_TRUE(b.ok());
  for (uint64_t index : {0, 1, 2, 255, 256, 70000}) {
    absl::StatusOr<Midstate> m = b->Build(index, index + 10, index + 10);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->extranonce2, Extranonce2Bytes(index, 4));
    for (uint32_t nonce : {0u, 1u, 0x9546a142u, 0xffffffffu}) {
      EXPECT_EQ(hash::HashNonce(m->work, nonce), ReferenceHash(j, m->extranonce2, j.notify.version, nonce))
          << "index " << index << " nonce " << nonce;
    }
  }
}

TEST(JobBuilderTest, VersionRollingGroupsShareTheTail) {
  UpstreamJob j = TestJob("job1", 5, 1.0, true, 0x1fffe000);
  absl::StatusOr<JobBuilder> b = JobBuilder::Create(j, "1/job1");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->versions_per_extranonce2(), uint64_t{1} << 16);
  absl::StatusOr<Midstate> m0 = b->Build(0, 1, 1);
  absl::StatusOr<Midstate> m1 = b->Build(1, 2, 1);
  absl::StatusOr<Midstate> m2 = b->Build(uint64_t{1} << 16, 3, 3);  // Next extranonce2.
  ASSERT_TRUE(m0.ok() && m1.ok() && m2.ok());
  EXPECT_EQ(m0->extranonce2, m1->extranonce2);
  EXPECT_EQ(m0->work.tail, m1->work.tail);
  EXPECT_NE(m0->work.midstate, m1->work.midstate);
  EXPECT_EQ(m1->version, 0x20002000u);
  EXPECT_EQ(m1->version_bits, 0x00002000u);
  EXPECT_NE(m2->extranonce2, m0->extranonce2);
  EXPECT_EQ(hash::HashNonce(m1->work, 77), ReferenceHash(j, m1->extranonce2, m1->version, 77));
}

TEST(JobBuilderTest, RollVersionSpreadsOverMask) {
  EXPECT_EQ(RollVersion(0x20000000, 0x1fffe000, 0), 0x20000000u);
  EXPECT_EQ(RollVersion(0x20000000, 0x1fffe000, 3), 0x20006000u);
  EXPECT_EQ(RollVersion(0x20000000, 0x1fffe000, 0xffff), 0x3fffe000u);
  EXPECT_EQ(RollVersion(0x20002000, 0x00002000, 0), 0x20000000u);  // Base bits in mask cleared.
}

TEST(JobBuilderTest, ExhaustedExtranonce2IsOutOfRange) {
  UpstreamJob j = TestJob("a");
  j.extranonce2_size = 1;
  absl::StatusOr<JobBuilder> b = JobBuilder::Create(j, "k");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->Build(255, 1, 1).ok());
  EXPECT_EQ(b->Build(256, 2, 2).status().code(), absl::StatusCode::kOutOfRange);
}

// Block 125552's header fields land at the consensus offsets of the midstate's header bytes.
TEST(JobBuilderTest, HeaderLayout) {
  UpstreamJob j = TestJob("a");
  j.notify.version = 0x00000001;
  absl::StatusOr<JobBuilder> b = JobBuilder::Create(j, "k");
  ASSERT_TRUE(b.ok());
  absl::StatusOr<Midstate> m = b->Build(0, 1, 1);
  ASSERT_TRUE(m.ok());
  const std::array<uint8_t, 76>& h = m->header;
  EXPECT_EQ(h[0], 0x01);
  EXPECT_EQ(h[3], 0x00);
  EXPECT_EQ(std::memcmp(&h[4], j.notify.prev_hash.data(), 32), 0);
  EXPECT_EQ(h[68], static_cast<uint8_t>(j.notify.ntime));
  EXPECT_EQ(h[72], 0xf2);  // nbits 1a44b9f2, little-endian.
  EXPECT_EQ(h[75], 0x1a);
}

}  // namespace
}  // namespace synth::jobs

namespace synth::jobs {
namespace {

TEST(JobBuilderTest, SlotPrefixStaysZeroAndTheCounterFillsTheRest) {
  UpstreamJob j = TestJob("a");  // extranonce2_size 4.
  absl::StatusOr<JobBuilder> b = JobBuilder::Create(j, "k", /*prefix_bytes=*/2);
  ASSERT_TRUE(b.ok()) << b.status();
  absl::StatusOr<Midstate> m = b->Build(0x0102, 1, 1);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->extranonce2, (std::vector<uint8_t>{0, 0, 0x02, 0x01}));
  EXPECT_EQ(hash::HashNonce(m->work, 77), ReferenceHash(j, m->extranonce2, j.notify.version, 77));
  // Two counter bytes: 65536 extranonce2 values, then OUT_OF_RANGE.
  EXPECT_TRUE(b->Build(0xffff, 2, 2).ok());
  EXPECT_EQ(b->Build(0x10000, 3, 3).status().code(), absl::StatusCode::kOutOfRange);
  // The prefix must leave a counter byte.
  EXPECT_EQ(JobBuilder::Create(j, "k", 4).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Extranonce2Bytes(7, 4, 1), (std::vector<uint8_t>{0, 7, 0, 0}));
}

}  // namespace
}  // namespace synth::jobs
