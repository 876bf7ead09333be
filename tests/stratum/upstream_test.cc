// The client behind jobs::Upstream (what synth-master plugs in) against synth-pool.
#include "gtest/gtest.h"
#include "master/stratum/upstream_adapter.h"
#include "tests/stratum/harness.h"

namespace synth::stratum::testing {
namespace {

TEST(UpstreamAdapterTest, JobsAndVerdictsCrossTheMasterInterface) {
  std::unique_ptr<pool::PoolServer> pool = StartPool();
  EXPECT_FALSE(MakeClientUpstream(FastOptions({{"http://x:1", "w", "x", 0}})).ok());
  absl::StatusOr<std::unique_ptr<jobs::Upstream>> up =
      MakeClientUpstream(FastOptions({{Url(pool->port()), "w", "x", 0}}));
  ASSERT_TRUE(up.ok()) << up.status();
  absl::Mutex mu;
  std::vector<jobs::UpstreamJob> got;
  (*up)->Start([&](const jobs::UpstreamJob& j) {
    absl::MutexLock l(&mu);
    got.push_back(j);
  });
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock l(&mu);
    return !got.empty();
  }));
  jobs::UpstreamJob j;
  {
    absl::MutexLock l(&mu);
    j = got.back();
  }
  EXPECT_TRUE(j.notify.clean_jobs);
  EXPECT_DOUBLE_EQ(j.difficulty, kTinyDiff);
  EXPECT_EQ(j.version_mask, 0x1fffe000u);
  EXPECT_TRUE(WaitFor([&] { return (*up)->Info().connected; }));
  // Find a share with rolled version bits.
  const StratumJob& sj = j.notify;
  std::vector<uint8_t> en2(static_cast<size_t>(j.extranonce2_size), 9);
  uint32_t bits = 0x00002000;
  std::optional<uint32_t> nonce =
      pool::FindNonce(sj, j.extranonce1, en2, (sj.version & ~j.version_mask) | bits, sj.ntime,
                      kTinyDiff);
  ASSERT_TRUE(nonce.has_value());
  std::optional<jobs::SubmitResult> result;
  uint32_t version = (sj.version & ~j.version_mask) | bits;
  (*up)->Submit({sj.job_id, en2, sj.ntime, *nonce, true, bits, version},
                [&](const jobs::SubmitResult& r) {
                  absl::MutexLock l(&mu);
                  result = r;
                });
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock l(&mu);
    return result.has_value();
  }));
  EXPECT_TRUE(result->accepted) << result->reason;
  EXPECT_FALSE(result->not_sent);
  (*up)->Stop();
  EXPECT_EQ(pool->Stats().accepted, 1u);
}

TEST(UpstreamAdapterTest, StaleWithoutCodeMapsTo21AndNotSent) {
  jobs::SubmitResult r = ToUpstreamResult(SubmitResult{SubmitOutcome::kStale, 0, "", false});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.code, 21);
  EXPECT_TRUE(r.not_sent);
  EXPECT_EQ(r.reason, "stale");
}

TEST(UpstreamAdapterTest, HeldSharesExpiredWhileThePoolWasDownAreNotSentAndNotStale) {
  jobs::SubmitResult r = ToUpstreamResult(
      SubmitResult{SubmitOutcome::kPoolDown, 0, "expired while the pool was down", false});
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.code, 0);  // Not 21: the ledger counts it pool-down, not stale.
  EXPECT_FALSE(r.stale);
  EXPECT_TRUE(r.not_sent);
}

TEST(UpstreamAdapterTest, TimedOutSubmitKeepsItsTimeoutReason) {
  jobs::SubmitResult r = ToUpstreamResult(
      SubmitResult{SubmitOutcome::kTimedOut, 0, "timeout: no answer from the pool", true});
  EXPECT_FALSE(r.accepted);
  EXPECT_FALSE(r.stale);
  EXPECT_FALSE(r.not_sent);
  EXPECT_TRUE(r.timed_out);  // Its own outcome: the ledger does not count it rejected.
  EXPECT_EQ(r.reason.rfind("timeout", 0), 0u);
  // Stopped before it was sent: never reached the pool (pool_down), not timed out.
  r = ToUpstreamResult(SubmitResult{SubmitOutcome::kTimedOut, 0, "client stopped", false});
  EXPECT_TRUE(r.not_sent);
  EXPECT_FALSE(r.timed_out);
}

}  // namespace
}  // namespace synth::stratum::testing
