// The Stratum client against synth-pool over loopback: handshake, shares, difficulty and
// extranonce boundaries, clean and non-clean jobs, a rejecting pool, version rolling.
#include "gtest/gtest.h"
#include "tests/stratum/harness.h"

namespace synth::stratum::testing {
namespace {

class LoopbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = StartPool();
    ASSERT_NE(pool_, nullptr);
    absl::StatusOr<std::unique_ptr<Client>> c =
        Client::Create(FastOptions({{Url(pool_->port()), "alice.w1", "x", 0}}), miner_.Callbacks());
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
    client_->Start();
    ASSERT_TRUE(WaitFor([&] { return miner_.job_count() >= 1; }));
  }
  void TearDown() override {
    if (client_) client_->Stop();
  }
  Miner miner_;
  std::unique_ptr<pool::PoolServer> pool_;
  std::unique_ptr<Client> client_;
};

TEST_F(LoopbackTest, HandshakeThenAcceptedShareWithRolledVersion) {
  ClientJob job = miner_.last_job();
  EXPECT_TRUE(job.job.clean_jobs);
  EXPECT_DOUBLE_EQ(job.difficulty, kTinyDiff);
  EXPECT_EQ(job.extranonce1.size(), 4u);
  EXPECT_EQ(job.extranonce2_size, 4);
  EXPECT_EQ(job.version_mask, 0x1fffe000u);
  ClientShare share = Miner::FindShare(job, 1, /*version_bits=*/0x00006000);
  SubmitResult r = Miner::SubmitAndWait(*client_, share);
  EXPECT_EQ(r.outcome, SubmitOutcome::kAccepted) << r.reason;
  EXPECT_EQ(pool_->Stats().accepted, 1u);
  ClientStatus s = client_->Status();
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.shares.accepted, 1u);
  EXPECT_EQ(s.shares.submitted, 1u);
  // The same share again: the pool's duplicate verdict comes back with its code.
  r = Miner::SubmitAndWait(*client_, share);
  EXPECT_EQ(r.outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(r.code, 22);
  EXPECT_EQ(client_->Status().shares.rejected_by_code[22], 1u);
}

TEST_F(LoopbackTest, DifficultyChangeAppliesToTheNextJobOnly) {
  ClientJob old_job = miner_.last_job();
  pool_->SetDifficulty(2e-5);
  pool_->NewJob(/*clean=*/false);
  ASSERT_TRUE(WaitFor([&] { return miner_.job_count() >= 2; }));
  ClientJob new_job = miner_.last_job();
  EXPECT_DOUBLE_EQ(old_job.difficulty, kTinyDiff);
  EXPECT_DOUBLE_EQ(new_job.difficulty, 2e-5);
  // A share at the old difficulty still counts for the old job, worth the old difficulty...
  EXPECT_EQ(Miner::SubmitAndWait(*client_, Miner::FindShare(old_job)).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_DOUBLE_EQ(client_->Status().shares.accepted_work, kTinyDiff);
  // ...and one meeting only the old difficulty is low for the new job (search from a nonce
  // that meets kTinyDiff but not 2e-5).
  ClientShare weak = Miner::FindShare(new_job, 3, 0, kTinyDiff);
  std::optional<uint32_t> strong = pool::FindNonce(new_job.job, new_job.extranonce1, weak.extranonce2,
                                                   weak.version, weak.ntime, 2e-5, weak.nonce, 1);
  if (!strong) {
    SubmitResult r = Miner::SubmitAndWait(*client_, weak);
    EXPECT_EQ(r.code, 23) << r.reason;
  }
  EXPECT_EQ(Miner::SubmitAndWait(*client_, Miner::FindShare(new_job, 4)).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_DOUBLE_EQ(client_->Status().shares.accepted_work, kTinyDiff + 2e-5);
}

TEST_F(LoopbackTest, NonCleanJobKeepsOldWorkCleanJobMakesItStale) {
  ClientJob first = miner_.last_job();
  pool_->NewJob(/*clean=*/false);
  ASSERT_TRUE(WaitFor([&] { return miner_.job_count() >= 2; }));
  EXPECT_FALSE(miner_.last_job().job.clean_jobs);
  EXPECT_EQ(Miner::SubmitAndWait(*client_, Miner::FindShare(first, 1)).outcome,
            SubmitOutcome::kAccepted);
  pool_->NewJob(/*clean=*/true);
  ASSERT_TRUE(WaitFor([&] { return miner_.job_count() >= 3; }));
  EXPECT_TRUE(miner_.last_job().job.clean_jobs);
  SubmitResult r = Miner::SubmitAndWait(*client_, Miner::FindShare(first, 2));
  EXPECT_EQ(r.outcome, SubmitOutcome::kStale);
  EXPECT_FALSE(r.sent);  // Known stale: not sent to the pool.
  EXPECT_EQ(client_->Status().shares.stale, 1u);
  EXPECT_EQ(Miner::SubmitAndWait(*client_, Miner::FindShare(miner_.last_job(), 1)).outcome,
            SubmitOutcome::kAccepted);
}

TEST_F(LoopbackTest, ExtranonceChangeMidJob) {
  ClientJob before = miner_.last_job();
  pool_->ChangeExtranonce();
  pool_->NewJob(/*clean=*/false);
  ASSERT_TRUE(WaitFor([&] { return miner_.job_count() >= 2; }));
  ClientJob after = miner_.last_job();
  EXPECT_NE(after.extranonce1, before.extranonce1);
  // Work on the job in hand still uses the old extranonce1 and is accepted.
  EXPECT_EQ(Miner::SubmitAndWait(*client_, Miner::FindShare(before, 5)).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_EQ(Miner::SubmitAndWait(*client_, Miner::FindShare(after, 5)).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_EQ(pool_->Stats().accepted, 2u);
}

TEST_F(LoopbackTest, RejectingPoolVerdictsAreCountedWithCodeAndReason) {
  pool_->SetRejectAll(23);
  SubmitResult r = Miner::SubmitAndWait(*client_, Miner::FindShare(miner_.last_job()));
  EXPECT_EQ(r.outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(r.code, 23);
  EXPECT_FALSE(r.reason.empty());
  pool_->SetRejectAll(21);
  r = Miner::SubmitAndWait(*client_, Miner::FindShare(miner_.last_job(), 2));
  EXPECT_EQ(r.outcome, SubmitOutcome::kStale);
  ClientStatus s = client_->Status();
  EXPECT_EQ(s.shares.rejected, 1u);
  EXPECT_EQ(s.shares.stale, 1u);
}

TEST_F(LoopbackTest, ShowMessageGetVersionAndStalledPoolTimesOut) {
  pool_->ShowMessage("maintenance at noon");
  ASSERT_TRUE(WaitFor([&] { return client_->Status().last_message == "maintenance at noon"; }));
  pool_->SendGetVersion();
  ASSERT_TRUE(WaitFor([&] { return pool_->Stats().last_client_version == "synth/0.1"; }));
  pool_->SetStall(true);
  // Unanswered, the connection counts as dead; the share waits for a session that can take it
  // and, with the pool still stalled, ends "expired while the pool was down" (not rejected).
  SubmitResult r = Miner::SubmitAndWait(*client_, Miner::FindShare(miner_.last_job()), 12000);
  EXPECT_EQ(r.outcome, SubmitOutcome::kPoolDown) << r.reason;
  EXPECT_NE(r.reason.find("pool was down"), std::string::npos) << r.reason;
  EXPECT_EQ(client_->Status().shares.pool_down, 1u);
  EXPECT_EQ(client_->Status().shares.rejected, 0u);
}

TEST_F(LoopbackTest, SuggestDifficultyAppliesFromTheNextJob) {
  client_->SuggestDifficulty(3e-5);
  // New jobs until one carries the pool's answer (the suggestion crosses two threads).
  ASSERT_TRUE(WaitFor([&] {
    pool_->NewJob(/*clean=*/false);
    return miner_.last_job().difficulty == 3e-5;
  }));
  EXPECT_DOUBLE_EQ(miner_.jobs()[0].difficulty, kTinyDiff);
  EXPECT_EQ(Miner::SubmitAndWait(*client_, Miner::FindShare(miner_.last_job())).outcome,
            SubmitOutcome::kAccepted);
}

TEST(MinimumDifficultyTest, ConfigureFloorRaisesTheSessionDifficulty) {
  std::unique_ptr<pool::PoolServer> pool = StartPool();
  Miner miner;
  ClientOptions o = FastOptions({{Url(pool->port()), "w", "x", 0}});
  o.session.minimum_difficulty = 4e-5;
  absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(o, miner.Callbacks());
  ASSERT_TRUE(c.ok());
  (*c)->Start();
  ASSERT_TRUE(WaitFor([&] { return miner.job_count() >= 1; }));
  EXPECT_DOUBLE_EQ(miner.last_job().difficulty, 4e-5);
  EXPECT_EQ(Miner::SubmitAndWait(**c, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  (*c)->Stop();
}

}  // namespace
}  // namespace synth::stratum::testing
