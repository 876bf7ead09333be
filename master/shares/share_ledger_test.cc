#include "master/shares/share_ledger.h"

#include <vector>

#include "gtest/gtest.h"
#include "proto/share_states.h"

namespace synth::shares {
namespace {

class Sink : public VerdictSink {
 public:
  void Deliver(const Verdict& v) override { got.push_back(v); }
  std::vector<Verdict> got;
};

LedgerShare Share(uint64_t connection, uint64_t id, uint64_t fingerprint = 7) {
  return {.source = "w1",
          .connection = connection,
          .share_id = id,
          .fingerprint = fingerprint,
          .device = "cpu0",
          .job_key = "a.1/j",
          .nonce = 99};
}

Verdict Final(v1::ShareState state, const char* reason = "") {
  return {.state = state, .reason = reason, .difficulty = 0.5};
}

jobs::SubmitResult Accepted() { return {.accepted = true}; }

class ShareLedgerTest : public ::testing::Test {
 protected:
  explicit ShareLedgerTest(ShareLedger::Options o = {}) : ledger_(o, &clock_) {}

  // Checks found = sum of the states, in the totals and for w1.
  void ExpectReconciles() {
    for (const v1::ShareCounts& c : {ledger_.Totals(), ledger_.CountsOf("w1")}) {
      EXPECT_EQ(c.found(), proto::SumOfStates(c)) << c.ShortDebugString();
    }
  }

  FakeClock clock_;
  ShareLedger ledger_;
  Sink first_, second_;
};

TEST_F(ShareLedgerTest, FinalVerdictIsDeliveredCountedAndListed) {
  ledger_.Attach("w1", 1, &first_);
  EXPECT_FALSE(ledger_.Resend(Share(1, 42)));
  ledger_.Decide(Share(1, 42), Final(v1::SHARE_STATE_HARDWARE_ERROR, "hash does not match"));
  ASSERT_EQ(first_.got.size(), 1u);
  EXPECT_EQ(first_.got[0].share_id, 42u);
  EXPECT_EQ(first_.got[0].state, v1::SHARE_STATE_HARDWARE_ERROR);
  EXPECT_EQ(ledger_.Totals().found(), 1u);
  EXPECT_EQ(ledger_.Totals().hardware_error(), 1u);
  EXPECT_EQ(ledger_.CountsOf("w1").hardware_error(), 1u);
  v1::SharesResponse r;
  ledger_.FillShares(10, &r);
  ASSERT_EQ(r.recent_size(), 1);
  EXPECT_EQ(r.recent(0).worker_id(), "w1");
  EXPECT_EQ(r.recent(0).state(), v1::SHARE_STATE_HARDWARE_ERROR);
  EXPECT_EQ(r.recent(0).reason(), "hash does not match");
  ExpectReconciles();
}

TEST_F(ShareLedgerTest, SubmittedShareIsPendingUntilThePoolAnswers) {
  ledger_.Attach("w1", 1, &first_);
  uint64_t t = ledger_.Submit(Share(1, 42), 0.25);
  EXPECT_TRUE(first_.got.empty());
  EXPECT_EQ(ledger_.Totals().pending(), 1u);
  ExpectReconciles();
  ledger_.Resolve(t, Accepted());
  ledger_.Resolve(t, Accepted());  // A second answer to the same ticket is ignored.
  ASSERT_EQ(first_.got.size(), 1u);
  EXPECT_EQ(first_.got[0].state, v1::SHARE_STATE_ACCEPTED);
  EXPECT_DOUBLE_EQ(first_.got[0].difficulty, 0.25);
  v1::ShareCounts c = ledger_.Totals();
  EXPECT_EQ(c.pending(), 0u);
  EXPECT_EQ(c.accepted(), 1u);
  EXPECT_DOUBLE_EQ(c.accepted_difficulty(), 0.25);
  ExpectReconciles();
}

// The stream broke after the share went upstream and before its verdict reached the worker: the
// pool answers while the worker is away, and the share sent again on the new stream gets that
// verdict; it is found once and accepted once.
TEST_F(ShareLedgerTest, BestDifficultyIsTheHighestOfNewShares) {
  ledger_.Attach("w1", 1, &first_);
  EXPECT_EQ(ledger_.BestDifficulty(), 0);
  LedgerShare a = Share(1, 1);
  a.hash_difficulty = 3.5;
  ledger_.Submit(a, 0.25);
  LedgerShare b = Share(1, 2);
  b.hash_difficulty = 1.5;
  ledger_.Decide(b, Final(v1::SHARE_STATE_LOCAL));
  EXPECT_DOUBLE_EQ(ledger_.BestDifficulty(), 3.5);  // Never goes down.
  ledger_.Decide(Share(1, 3), Final(v1::SHARE_STATE_HARDWARE_ERROR));  // Has none.
  LedgerShare resent = Share(1, 1);
  resent.hash_difficulty = 9;  // A resend is not a new share: not counted again.
  EXPECT_TRUE(ledger_.Resend(resent));
  EXPECT_DOUBLE_EQ(ledger_.BestDifficulty(), 3.5);
}

TEST_F(ShareLedgerTest, ResendAfterReconnectGetsTheFirstVerdict) {
  ledger_.Attach("w1", 1, &first_);
  uint64_t t = ledger_.Submit(Share(1, 42), 0.25);
  ledger_.Detach("w1", 1);
  ledger_.Resolve(t, Accepted());
  EXPECT_TRUE(first_.got.empty());
  ledger_.Attach("w1", 2, &second_);
  EXPECT_TRUE(ledger_.Resend(Share(2, 42)));
  ASSERT_EQ(second_.got.size(), 1u);
  EXPECT_EQ(second_.got[0].share_id, 42u);
  EXPECT_EQ(second_.got[0].state, v1::SHARE_STATE_ACCEPTED);
  v1::ShareCounts c = ledger_.Totals();
  EXPECT_EQ(c.found(), 1u);
  EXPECT_EQ(c.accepted(), 1u);
  EXPECT_EQ(c.duplicate(), 0u);
  EXPECT_EQ(c.resent(), 1u);
  EXPECT_EQ(ledger_.CountsOf("w1").accepted(), 1u);  // Per worker across the reconnect too.
  ExpectReconciles();
}

TEST_F(ShareLedgerTest, ResendWhilePendingIsAnsweredOnceWhenThePoolAnswers) {
  ledger_.Attach("w1", 1, &first_);
  uint64_t t = ledger_.Submit(Share(1, 42), 0.25);
  ledger_.Attach("w1", 2, &second_);  // A new stream replaced the first.
  EXPECT_TRUE(ledger_.Resend(Share(2, 42)));
  EXPECT_TRUE(second_.got.empty());
  ledger_.Resolve(t, {.accepted = false, .code = 23, .reason = "low difficulty"});
  ASSERT_EQ(second_.got.size(), 1u);
  EXPECT_EQ(second_.got[0].state, v1::SHARE_STATE_REJECTED);
  EXPECT_EQ(second_.got[0].pool_code, 23);
  EXPECT_TRUE(first_.got.empty());
  // A copy that crossed the verdict on this stream is not answered twice.
  EXPECT_TRUE(ledger_.Resend(Share(2, 42)));
  EXPECT_EQ(second_.got.size(), 1u);
  EXPECT_EQ(ledger_.Totals().found(), 1u);
  ExpectReconciles();
}

// A restarted worker counts share ids from 1 again: an id with other content is a new share,
// and the old share's late answer is not delivered under the reused id.
TEST_F(ShareLedgerTest, ReusedIdWithOtherContentIsANewShare) {
  ledger_.Attach("w1", 1, &first_);
  uint64_t old = ledger_.Submit(Share(1, 1, /*fingerprint=*/7), 1);
  ledger_.Attach("w1", 2, &second_);
  EXPECT_FALSE(ledger_.Resend(Share(2, 1, /*fingerprint=*/8)));
  ledger_.Decide(Share(2, 1, 8), Final(v1::SHARE_STATE_STALE));
  ledger_.Resolve(old, Accepted());
  ASSERT_EQ(second_.got.size(), 1u);
  EXPECT_EQ(second_.got[0].state, v1::SHARE_STATE_STALE);
  v1::ShareCounts c = ledger_.Totals();
  EXPECT_EQ(c.found(), 2u);
  EXPECT_EQ(c.accepted(), 1u);
  EXPECT_EQ(c.stale(), 1u);
  ExpectReconciles();
}

TEST_F(ShareLedgerTest, RateLimitBucketRefillsWithTime) {
  ShareLedger ledger({.max_share_rate = 2, .share_burst_seconds = 1}, &clock_);
  ledger.Attach("w1", 1, &first_);
  EXPECT_TRUE(ledger.TakeToken("w1", 0, 1));  // 2 shares/s, 1 s of burst: 2 tokens.
  EXPECT_TRUE(ledger.TakeToken("w1", 0, 1));
  EXPECT_FALSE(ledger.TakeToken("w1", 0, 1));
  EXPECT_TRUE(ledger.RateLimitedWithin("w1", absl::Seconds(60)));
  clock_.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(ledger.TakeToken("w1", 0, 1));
  EXPECT_FALSE(ledger.TakeToken("w1", 0, 1));
  clock_.Advance(absl::Seconds(61));
  EXPECT_FALSE(ledger.RateLimitedWithin("w1", absl::Seconds(60)));
  EXPECT_FALSE(ledger.RateLimitedWithin("nobody", absl::Seconds(60)));
}

// A fast source gets 8x the share rate its hash rate makes plausible, up to 64x the floor.
TEST_F(ShareLedgerTest, RateLimitGrowsWithThePlausibleShareRate) {
  ShareLedger ledger({.max_share_rate = 1, .share_burst_seconds = 1}, &clock_);
  // 2^32 H/s at difficulty 1: one share a second, so 8 shares/s are allowed (8 tokens).
  int taken = 0;
  while (ledger.TakeToken("fast", 4294967296.0, 1) && taken < 100) ++taken;
  EXPECT_EQ(taken, 8);
  taken = 0;
  while (ledger.TakeToken("huge", 1e18, 1) && taken < 100) ++taken;
  EXPECT_EQ(taken, 64);  // Capped at 64 x max_share_rate.
  ShareLedger unlimited({.max_share_rate = 0}, &clock_);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(unlimited.TakeToken("w1", 0, 1));
}

TEST(StateOfTest, PoolAnswers) {
  EXPECT_EQ(StateOf({.accepted = true}), v1::SHARE_STATE_ACCEPTED);
  EXPECT_EQ(StateOf({.code = 21}), v1::SHARE_STATE_STALE);
  EXPECT_EQ(StateOf({.stale = true}), v1::SHARE_STATE_STALE);
  EXPECT_EQ(StateOf({.not_sent = true}), v1::SHARE_STATE_POOL_DOWN);
  EXPECT_EQ(StateOf({.code = 23}), v1::SHARE_STATE_REJECTED);
  // The pool never answered: its own outcome, not a rejection.
  EXPECT_EQ(StateOf({.reason = "timeout", .timed_out = true}), v1::SHARE_STATE_TIMED_OUT);
}

class BoundedLedgerTest : public ShareLedgerTest {
 protected:
  BoundedLedgerTest()
      : ShareLedgerTest({.remember_shares = 2, .remember_for = absl::Seconds(30)}) {}
};

TEST_F(BoundedLedgerTest, VerdictsAreForgottenPastTheCountOrTheAge) {
  ledger_.Attach("w1", 1, &first_);
  for (uint64_t id = 1; id <= 3; ++id) ledger_.Decide(Share(1, id), Final(v1::SHARE_STATE_STALE));
  EXPECT_EQ(ledger_.remembered(), 2u);
  EXPECT_FALSE(ledger_.Resend(Share(1, 1)));  // The oldest went first.
  EXPECT_TRUE(ledger_.Resend(Share(1, 3)));
  clock_.Advance(absl::Seconds(31));
  ledger_.Expire();
  EXPECT_EQ(ledger_.remembered(), 0u);
  EXPECT_FALSE(ledger_.Resend(Share(1, 3)));
  // The counts of a source stay while it is connected; a source gone with nothing remembered is
  // forgotten.
  EXPECT_EQ(ledger_.CountsOf("w1").found(), 3u);
  ledger_.Detach("w1", 1);
  EXPECT_EQ(ledger_.CountsOf("w1").found(), 0u);
  EXPECT_EQ(ledger_.Totals().found(), 3u);
}

TEST_F(BoundedLedgerTest, PendingSharesAreNeverForgotten) {
  ledger_.Attach("w1", 1, &first_);
  uint64_t t = ledger_.Submit(Share(1, 42), 1);
  for (uint64_t id = 1; id <= 5; ++id) ledger_.Decide(Share(1, id), Final(v1::SHARE_STATE_STALE));
  clock_.Advance(absl::Minutes(5));
  ledger_.Expire();
  ledger_.Detach("w1", 1);
  ledger_.Attach("w1", 2, &second_);
  EXPECT_TRUE(ledger_.Resend(Share(2, 42)));
  ledger_.Resolve(t, Accepted());
  ASSERT_EQ(second_.got.size(), 1u);
  EXPECT_EQ(second_.got[0].state, v1::SHARE_STATE_ACCEPTED);
  ExpectReconciles();
}

}  // namespace
}  // namespace synth::shares
