#include "master/jobs/job_manager.h"

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"
#include "master/jobs/test_jobs.h"

namespace synth::jobs {
namespace {

TEST(JobManagerTest, NoJobNoMidstate) {
  JobManager jobs({});
  EXPECT_EQ(jobs.NextMidstate(), nullptr);
  EXPECT_EQ(jobs.current(), "");
}

TEST(JobManagerTest, CacheIsFilledAheadAndIdsAreUnique) {
  JobManager jobs({.cache_ahead = 8});
  ASSERT_TRUE(jobs.AddJob(TestJob("a")).ok());
  EXPECT_EQ(jobs.cached(), 8u);
  std::shared_ptr<const Midstate> m1 = jobs.NextMidstate();
  std::shared_ptr<const Midstate> m2 = jobs.NextMidstate();
  ASSERT_NE(m1, nullptr);
  ASSERT_NE(m2, nullptr);
  EXPECT_NE(m1->midstate_id, m2->midstate_id);
  EXPECT_NE(m1->extranonce2, m2->extranonce2);
  EXPECT_EQ(jobs.FindMidstate(m1->midstate_id), m1);
  jobs.Fill();
  EXPECT_EQ(jobs.cached(), 8u);
}

TEST(JobManagerTest, CleanJobKillsEarlierJobs) {
  JobManager jobs({});
  ASSERT_TRUE(jobs.AddJob(TestJob("a", 1, 1, true)).ok());
  std::string a = jobs.current();
  std::shared_ptr<const Midstate> ma = jobs.NextMidstate();
  absl::StatusOr<std::vector<std::string>> dead = jobs.AddJob(TestJob("b", 2, 1, false));
  ASSERT_TRUE(dead.ok());
  EXPECT_TRUE(dead->empty());
  EXPECT_NE(jobs.FindJob(a), nullptr);  // Not clean: a stays live.
  EXPECT_EQ(jobs.NextMidstate()->job_key, jobs.current());
  dead = jobs.AddJob(TestJob("c", 3, 1, true));
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(dead->size(), 2u);
  EXPECT_EQ(jobs.FindJob(a), nullptr);
  EXPECT_TRUE(jobs.IsDead(a));
  EXPECT_EQ(jobs.FindMidstate(ma->midstate_id), nullptr);
  EXPECT_EQ(jobs.live_jobs(), 1u);
}

TEST(JobManagerTest, SameIdGetsANewKeyAndKeysDifferAcrossInstances) {
  JobManager jobs({});
  ASSERT_TRUE(jobs.AddJob(TestJob("a")).ok());
  std::string k1 = jobs.current();
  ASSERT_TRUE(jobs.AddJob(TestJob("a")).ok());  // A pool reusing an id after reconnect.
  EXPECT_NE(jobs.current(), k1);
  EXPECT_EQ(k1.substr(k1.rfind('/') + 1), "a");  // The pool's id stays readable.
  JobManager restarted({.instance = "other"});   // A restarted master.
  ASSERT_TRUE(restarted.AddJob(TestJob("a")).ok());
  EXPECT_EQ(restarted.current(), "other.1/a");
  EXPECT_NE(restarted.current(), k1);
}

TEST(JobManagerTest, AJobNotifiedAgainContinuesPastItsExtranonce2s) {
  // A resumed pool session re-sends its jobs: the same pool job must not hand out the
  // extranonce2s it had before, or every share found again is a duplicate at the pool.
  JobManager jobs({.cache_ahead = 4});
  ASSERT_TRUE(jobs.AddJob(TestJob("a", 1, 1, true)).ok());
  absl::flat_hash_set<std::vector<uint8_t>> seen;
  for (int i = 0; i < 6; ++i) seen.insert(jobs.NextMidstate()->extranonce2);
  ASSERT_TRUE(jobs.AddJob(TestJob("a", 1, 1, true)).ok());  // Clean: the first instance dies.
  for (int i = 0; i < 6; ++i) {
    std::shared_ptr<const Midstate> m = jobs.NextMidstate();
    ASSERT_NE(m, nullptr);
    EXPECT_FALSE(seen.contains(m->extranonce2)) << "extranonce2 reused after the re-notify";
    seen.insert(m->extranonce2);
  }
  ASSERT_TRUE(jobs.AddJob(TestJob("a", 1, 1, false)).ok());  // Not clean: the second lives on.
  EXPECT_FALSE(seen.contains(jobs.NextMidstate()->extranonce2));
  // Another pool job starts at the beginning as before.
  JobManager fresh({.cache_ahead = 4});
  ASSERT_TRUE(fresh.AddJob(TestJob("b", 2, 1, true)).ok());
  ASSERT_TRUE(jobs.AddJob(TestJob("b", 2, 1, true)).ok());
  EXPECT_EQ(jobs.NextMidstate()->extranonce2, fresh.NextMidstate()->extranonce2);
}

TEST(JobManagerTest, LiveJobsAreBounded) {
  JobManager jobs({.max_live_jobs = 3});
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(jobs.AddJob(TestJob("j" + std::to_string(i), i, 1, false)).ok());
  }
  EXPECT_EQ(jobs.live_jobs(), 3u);
}

TEST(JobManagerTest, BadJobChangesNothing) {
  JobManager jobs({});
  ASSERT_TRUE(jobs.AddJob(TestJob("a")).ok());
  std::string k = jobs.current();
  UpstreamJob bad = TestJob("b");
  bad.extranonce2_size = 9;
  EXPECT_EQ(jobs.AddJob(bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(jobs.current(), k);
}

TEST(JobManagerTest, KillAll) {
  JobManager jobs({});
  ASSERT_TRUE(jobs.AddJob(TestJob("a")).ok());
  EXPECT_EQ(jobs.KillAll().size(), 1u);
  EXPECT_EQ(jobs.NextMidstate(), nullptr);
}

}  // namespace
}  // namespace synth::jobs

#include "master/jobs/synthetic_upstream.h"

namespace synth::jobs {
namespace {

TEST(SyntheticUpstreamTest, ParsesUrlsAndRejectsBadOnes) {
  EXPECT_TRUE(SyntheticUpstream::FromUrl("synthetic://0.002").ok());
  EXPECT_TRUE(SyntheticUpstream::FromUrl("synthetic://1/5/clean").ok());
  EXPECT_FALSE(SyntheticUpstream::FromUrl("synthetic://abc").ok());
  EXPECT_FALSE(SyntheticUpstream::FromUrl("synthetic://0").ok());
  EXPECT_FALSE(SyntheticUpstream::FromUrl("stratum+tcp://h:1").ok());
}

TEST(SyntheticUpstreamTest, DeliversAValidCleanJobAndAcceptsShares) {
  auto up = SyntheticUpstream::FromUrl("synthetic://0.5/100");
  ASSERT_TRUE(up.ok());
  absl::Notification got;
  UpstreamJob job;
  (*up)->Start([&](const UpstreamJob& j) {
    if (got.HasBeenNotified()) return;
    job = j;
    got.Notify();
  });
  ASSERT_TRUE(got.WaitForNotificationWithTimeout(absl::Seconds(5)));
  (*up)->Stop();
  EXPECT_TRUE(job.notify.clean_jobs);
  EXPECT_DOUBLE_EQ(job.difficulty, 0.5);
  EXPECT_TRUE(ValidateJob(job).ok());
  bool accepted = false;
  (*up)->Submit({}, [&](const SubmitResult& r) { accepted = r.accepted; });
  EXPECT_TRUE(accepted);
}

}  // namespace
}  // namespace synth::jobs

namespace synth::jobs {
namespace {

TEST(JobManagerTest, DownstreamSlotsCarveAPrefixAndKeepTheStratumForm) {
  JobManager jobs({.cache_ahead = 2, .downstream_slots = 100});
  UpstreamJob j = TestJob("a");
  j.extranonce2_size = 8;
  ASSERT_TRUE(jobs.AddJob(j).ok());
  const JobInfo* info = jobs.FindJob(jobs.current());
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->partition.prefix_bytes, 1);
  EXPECT_EQ(info->partition.slots, 255u);
  ASSERT_NE(info->stratum, nullptr);
  EXPECT_EQ(info->stratum->coinb1, j.notify.coinb1);
  EXPECT_EQ(info->stratum->ntime, j.notify.ntime);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(jobs.NextMidstate()->extranonce2[0], 0);  // Slot 0.
  // Without downstream slots nothing is carved and no Stratum form is kept.
  JobManager plain({});
  ASSERT_TRUE(plain.AddJob(j).ok());
  EXPECT_EQ(plain.FindJob(plain.current())->partition.prefix_bytes, 0);
  EXPECT_EQ(plain.FindJob(plain.current())->stratum, nullptr);
}

TEST(JobManagerTest, SeqsTellWhichJobsAreStillLive) {
  JobManager jobs({.max_live_jobs = 2});
  EXPECT_EQ(jobs.newest_seq(), 0u);
  EXPECT_EQ(jobs.oldest_live_seq(), 1u);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(jobs.AddJob(TestJob("j" + std::to_string(i), i, 1, false)).ok());
  EXPECT_EQ(jobs.newest_seq(), 3u);
  EXPECT_EQ(jobs.oldest_live_seq(), 2u);
  jobs.KillAll();
  EXPECT_EQ(jobs.oldest_live_seq(), 4u);
}

// Returns TestJob(id, seed, 1, clean) of pool `pool`.
UpstreamJob PoolJob(const std::string& id, int seed, bool clean, size_t pool) {
  UpstreamJob j = TestJob(id, seed, 1, clean);
  j.pool = pool;
  return j;
}

TEST(JobManagerTest, EveryPoolHasItsOwnJobsAndCleanJobs) {
  JobManager jobs({.cache_ahead = 4, .max_live_jobs = 2});
  ASSERT_TRUE(jobs.AddJob(PoolJob("a1", 1, true, 0)).ok());
  absl::StatusOr<std::vector<std::string>> dead = jobs.AddJob(PoolJob("b1", 2, true, 1));
  ASSERT_TRUE(dead.ok());
  EXPECT_TRUE(dead->empty());  // A clean job of pool 1 leaves pool 0's jobs alone.
  const std::string a1 = jobs.current(0), b1 = jobs.current(1);
  EXPECT_NE(a1, b1);
  EXPECT_EQ(jobs.pool_count(), 2u);
  EXPECT_TRUE(jobs.IsCurrent(a1));
  EXPECT_EQ(jobs.cached(), 8u);
  std::shared_ptr<const Midstate> m = jobs.NextMidstate(1);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->job_key, b1);
  EXPECT_EQ(m->pool, 1u);
  EXPECT_EQ(jobs.NextMidstate(0)->pool, 0u);
  EXPECT_EQ(jobs.NextMidstate(5), nullptr);  // No such pool: no work, no crash.
  // Non-clean jobs: the live limit holds per pool.
  ASSERT_TRUE(jobs.AddJob(PoolJob("b2", 3, false, 1)).ok());
  dead = jobs.AddJob(PoolJob("b3", 4, false, 1));
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(*dead, std::vector<std::string>{b1});
  EXPECT_NE(jobs.FindJob(a1), nullptr);
  // A clean job of pool 0 ends only pool 0's.
  dead = jobs.AddJob(PoolJob("a2", 5, true, 0));
  ASSERT_TRUE(dead.ok());
  EXPECT_EQ(*dead, std::vector<std::string>{a1});
  EXPECT_EQ(jobs.live_jobs(), 3u);
  EXPECT_EQ(jobs.AddJob(PoolJob("x", 6, true, JobManager::kMaxPools)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace synth::jobs
