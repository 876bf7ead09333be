#include "worker/conn/share_outbox.h"

#include "gtest/gtest.h"

namespace synth::worker {
namespace {

FoundShare Share(uint32_t nonce) {
  FoundShare s;
  s.unit_id = 1;
  s.job_id = "j";
  s.nonce = nonce;
  return s;
}

TEST(ShareOutboxTest, SharesWaitUntilAnswered) {
  ShareOutbox outbox;
  uint64_t a = outbox.Add(Share(1));
  uint64_t b = outbox.Add(Share(2));
  EXPECT_LT(a, b);
  std::vector<PendingShare> sent = outbox.TakeUnsent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].share.nonce, 1u);
  EXPECT_FALSE(outbox.HasUnsent());
  EXPECT_TRUE(outbox.Ack(a));
  EXPECT_FALSE(outbox.Ack(a)) << "answered twice";
  OutboxCounts c = outbox.Counts();
  EXPECT_EQ(c.found, 2u);
  EXPECT_EQ(c.answered, 1u);
  EXPECT_EQ(c.pending, 1u);
}

TEST(ShareOutboxTest, RequeueResendsOnlyUnansweredSharesInOrder) {
  ShareOutbox outbox;
  uint64_t a = outbox.Add(Share(1));
  outbox.Add(Share(2));
  outbox.TakeUnsent();
  outbox.Ack(a);
  outbox.Add(Share(3));  // Found while disconnected.
  outbox.Requeue();
  std::vector<PendingShare> again = outbox.TakeUnsent();
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[0].share.nonce, 2u);
  EXPECT_EQ(again[0].sends, 1);
  EXPECT_EQ(again[1].share.nonce, 3u);
  EXPECT_EQ(outbox.Counts().resent, 1u);
}

TEST(ShareOutboxTest, OverflowDropsTheOldestAndCountsIt) {
  ShareOutbox outbox(/*capacity=*/2);
  outbox.Add(Share(1));
  outbox.Add(Share(2));
  outbox.Add(Share(3));
  std::vector<PendingShare> sent = outbox.TakeUnsent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].share.nonce, 2u);
  EXPECT_EQ(outbox.Counts().dropped, 1u);
}

TEST(ShareOutboxTest, SharesGoOnlyToTheirOwnMasterAndExpireAsMasterLost) {
  ShareOutbox outbox;
  outbox.Add(Share(1), /*master=*/0);
  outbox.Add(Share(2), /*master=*/1);
  outbox.Add(Share(3), /*master=*/0);
  EXPECT_TRUE(outbox.HasUnsent(1));
  std::vector<PendingShare> to_b = outbox.TakeUnsent(SIZE_MAX, 1);
  ASSERT_EQ(to_b.size(), 1u);
  EXPECT_EQ(to_b[0].share.nonce, 2u);
  EXPECT_EQ(to_b[0].master, 1);
  EXPECT_FALSE(outbox.HasUnsent(1));
  EXPECT_TRUE(outbox.HasUnsent(0)) << "master 0's shares wait for master 0";
  EXPECT_EQ(outbox.PendingFor(0), 2u);
  EXPECT_EQ(outbox.ExpireMaster(0), 2u);
  EXPECT_FALSE(outbox.HasUnsent(0));
  EXPECT_TRUE(outbox.TakeUnsent(SIZE_MAX, 0).empty());
  OutboxCounts c = outbox.Counts();
  EXPECT_EQ(c.master_lost, 2u);
  EXPECT_EQ(c.pending, 1u);  // Master 1's, sent and unanswered.
  EXPECT_EQ(c.found, 3u);
}

TEST(ShareOutboxTest, UnknownVerdictIsIgnored) {
  ShareOutbox outbox;
  EXPECT_FALSE(outbox.Ack(12345));
  EXPECT_EQ(outbox.Counts().answered, 0u);
}

}  // namespace
}  // namespace synth::worker
