#include "master/lease/lease_manager.h"

#include "gtest/gtest.h"
#include "master/jobs/test_jobs.h"

namespace synth::lease {
namespace {

using jobs::TestJob;

class LeaseManagerTest : public ::testing::Test {
 protected:
  LeaseManagerTest() : jobs_({.cache_ahead = 4}), leases_(Options(), &clock_, &jobs_) {}

  static LeaseManager::Options Options() {
    LeaseManager::Options o;
    o.lease_duration = absl::Seconds(5);
    o.expiry = absl::Seconds(20);
    o.default_rate_hps = 1e6;
    o.min_lease_hashes = 1000;
    return o;
  }

  std::string AddJob(const std::string& id, bool clean) {
    absl::StatusOr<std::vector<std::string>> dead = jobs_.AddJob(TestJob(id, 1, 1, clean));
    EXPECT_TRUE(dead.ok());
    dead_ = *dead;
    leases_.DropJobs(dead_);
    return jobs_.current();
  }

  FakeClock clock_;
  jobs::JobManager jobs_;
  LeaseManager leases_;
  std::vector<std::string> dead_;
};

// Checks that each midstate's handed-out ranges tile [0, end) without overlap, end <= 2^32.
void ExpectEachMidstateTiled(std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>>& seen) {
  for (auto& [id, ranges] : seen) {
    std::sort(ranges.begin(), ranges.end());
    uint64_t expect = 0;
    for (auto [s, e] : ranges) {
      EXPECT_EQ(s, expect) << "midstate " << id;
      expect = e;
    }
    EXPECT_LE(expect, uint64_t{1} << 32);
  }
}

TEST_F(LeaseManagerTest, NoJobGivesEmptyLease) {
  leases_.AddWorker(1, 1e6);
  Lease lease = leases_.Grant(1, 0, 0);
  EXPECT_TRUE(lease.units.empty());
  EXPECT_EQ(lease.hashes, 0u);
}

TEST_F(LeaseManagerTest, LeaseIsSizedByRate) {
  AddJob("a", true);
  leases_.AddWorker(1, 10e6);  // 10 MH/s × 5 s = 5e7.
  leases_.AddWorker(2, 2e9);   // 2 GH/s × 5 s = 1e10: more than two midstates.
  Lease small = leases_.Grant(1, 0, 0);
  EXPECT_EQ(small.hashes, 50'000'000u);
  EXPECT_EQ(small.units.size(), 1u);
  Lease big = leases_.Grant(2, 0, 0);
  EXPECT_EQ(big.hashes, 10'000'000'000u);
  EXPECT_GE(big.units.size(), 3u);
  Lease asked = leases_.Grant(1, 1.0, 0);  // seconds_wanted overrides the target duration.
  EXPECT_EQ(asked.hashes, 10'000'000u);
  Lease by_hashes = leases_.Grant(1, 0, 12345);
  EXPECT_EQ(by_hashes.hashes, 12345u);
  leases_.SetRate(1, 20e6);
  EXPECT_EQ(leases_.Grant(1, 0, 0).hashes, 100'000'000u);
  leases_.SetBackedOff(1, true);
  EXPECT_EQ(leases_.Grant(1, 0, 0).hashes, 50'000'000u);
  EXPECT_TRUE(leases_.Audit().ok()) << leases_.Audit();
}

TEST_F(LeaseManagerTest, CoverageHasNoOverlapAndNoGap) {
  AddJob("a", true);
  leases_.AddWorker(1, 3e8);
  leases_.AddWorker(2, 7e8);
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> seen;
  for (int i = 0; i < 20; ++i) {
    Lease lease = leases_.Grant(1 + i % 2, 0, 0);
    for (const Unit* u : lease.units) {
      seen[u->midstate->midstate_id].emplace_back(u->nonce_start, u->nonce_start + u->nonce_count);
    }
  }
  ASSERT_GE(seen.size(), 3u);
  ExpectEachMidstateTiled(seen);
  EXPECT_TRUE(leases_.Audit().ok()) << leases_.Audit();
}

// With version rolling, fresh work comes in rows: the same nonce range of four midstates of one
// version group (same tail), consecutive in the lease, so a GPU scans them in one launch.
TEST_F(LeaseManagerTest, VersionRollingCutsRowsOfSiblingMidstates) {
  ASSERT_TRUE(jobs_.AddJob(TestJob("r", 1, 1, true, /*version_mask=*/0x1fffe000)).ok());
  leases_.AddWorker(1, 4e8);  // 2e9 hashes per lease: 5e8 nonces of each of 4 midstates.
  std::map<uint64_t, std::vector<std::pair<uint64_t, uint64_t>>> seen;
  for (int i = 0; i < 12; ++i) {
    Lease lease = leases_.Grant(1, 0, 0);
    ASSERT_EQ(lease.units.size() % 4, 0u) << "lease " << i;
    for (size_t r = 0; r < lease.units.size(); r += 4) {
      const Unit* first = lease.units[r];
      for (size_t k = 0; k < 4; ++k) {
        const Unit* u = lease.units[r + k];
        EXPECT_EQ(u->nonce_start, first->nonce_start);
        EXPECT_EQ(u->nonce_count, first->nonce_count);
        EXPECT_EQ(u->midstate->version_group, first->midstate->version_group);
        EXPECT_EQ(u->midstate->work.tail, first->midstate->work.tail);
        if (k > 0) EXPECT_NE(u->midstate->version, lease.units[r + k - 1]->midstate->version);
      }
    }
    for (const Unit* u : lease.units) {
      seen[u->midstate->midstate_id].emplace_back(u->nonce_start, u->nonce_start + u->nonce_count);
    }
  }
  // 12 leases x 2e9 hashes = 24e9 > 4 x 2^32: the first group is used up to 2^32, then the next.
  ASSERT_GE(seen.size(), 8u);
  ExpectEachMidstateTiled(seen);
  EXPECT_EQ(seen.begin()->second.back().second, uint64_t{1} << 32);
  EXPECT_TRUE(leases_.Audit().ok()) << leases_.Audit();
}

// Without rolling every midstate has its own tail: one unit per midstate range, as before.
TEST_F(LeaseManagerTest, WithoutRollingUnitsAreNotRowed) {
  AddJob("a", true);
  leases_.AddWorker(1, 10e6);
  Lease lease = leases_.Grant(1, 0, 0);
  ASSERT_EQ(lease.units.size(), 1u);
  EXPECT_EQ(lease.units[0]->nonce_count, 50'000'000u);
}

TEST_F(LeaseManagerTest, ExpiredUnitsAreRequeuedFirstAndCancelled) {
  AddJob("a", true);
  leases_.AddWorker(1, 1e6);
  leases_.AddWorker(2, 1e6);
  Lease l1 = leases_.Grant(1, 0, 0);
  ASSERT_EQ(l1.units.size(), 1u);
  uint64_t unit = l1.units[0]->unit_id;
  clock_.Advance(absl::Seconds(19));
  EXPECT_TRUE(leases_.ExpireLeases().empty());
  clock_.Advance(absl::Seconds(2));
  auto expired = leases_.ExpireLeases();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].first, 1u);
  EXPECT_EQ(expired[0].second, std::vector<uint64_t>{unit});
  EXPECT_EQ(leases_.stats().units_queued, 1u);
  Lease l2 = leases_.Grant(2, 0, 0);  // The re-queued unit goes out first, to the other worker.
  ASSERT_FALSE(l2.units.empty());
  EXPECT_EQ(l2.units[0]->unit_id, unit);
  EXPECT_EQ(leases_.FindUnit(unit)->worker, 2u);
  // The old holder's late report is refused; the new holder's is taken.
  EXPECT_EQ(leases_.Complete(1, unit).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(leases_.Complete(2, unit).ok());
  EXPECT_TRUE(leases_.Audit().ok());
}

TEST_F(LeaseManagerTest, CompletedUnitsDoNotExpire) {
  AddJob("a", true);
  leases_.AddWorker(1, 1e6);
  Lease l = leases_.Grant(1, 0, 0);
  ASSERT_TRUE(leases_.Complete(1, l.units[0]->unit_id).ok());
  clock_.Advance(absl::Seconds(60));
  EXPECT_TRUE(leases_.ExpireLeases().empty());
  EXPECT_EQ(leases_.stats().units_done, 1u);
  EXPECT_EQ(leases_.stats().hashes_done, 5'000'000u);
  EXPECT_EQ(leases_.Complete(1, l.units[0]->unit_id).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(leases_.Complete(1, 999999).code(), absl::StatusCode::kNotFound);
}

TEST_F(LeaseManagerTest, LostWorkerUnitsGoToTheOther) {
  AddJob("a", true);
  leases_.AddWorker(1, 1e6);
  leases_.AddWorker(2, 1e6);
  Lease l1 = leases_.Grant(1, 0, 0);
  Lease l1b = leases_.Grant(1, 0, 0);
  std::vector<uint64_t> lost = {l1.units[0]->unit_id, l1b.units[0]->unit_id};
  EXPECT_EQ(leases_.UnitsLeasedTo(1), 2u);
  EXPECT_EQ(leases_.HashesLeasedTo(1), 10'000'000u);
  EXPECT_EQ(leases_.stats().hashes_leased, 10'000'000u);
  EXPECT_EQ(leases_.RemoveWorker(1), 2u);
  EXPECT_EQ(leases_.UnitsLeasedTo(1), 0u);
  EXPECT_EQ(leases_.stats().units_queued, 2u);
  Lease l2 = leases_.Grant(2, 0, 10'000'000);
  ASSERT_EQ(l2.units.size(), 2u);
  EXPECT_EQ(l2.units[0]->unit_id, lost[0]);
  EXPECT_EQ(l2.units[1]->unit_id, lost[1]);
  EXPECT_TRUE(leases_.Audit().ok());
}

TEST_F(LeaseManagerTest, PartialReturnRequeuesTheRest) {
  AddJob("a", true);
  leases_.AddWorker(1, 1e6);
  Lease l = leases_.Grant(1, 0, 0);
  const Unit* u = l.units[0];
  uint64_t id = u->unit_id;
  uint32_t start = u->nonce_start;
  ASSERT_TRUE(leases_.Return(1, id, 1'000'000).ok());
  EXPECT_EQ(leases_.FindUnit(id)->state, UnitState::kDone);
  EXPECT_EQ(leases_.stats().units_leased, 0u);
  EXPECT_EQ(leases_.stats().units_done, 1u);
  EXPECT_EQ(leases_.stats().units_queued, 1u);
  Lease again = leases_.Grant(1, 0, 4'000'000);
  ASSERT_EQ(again.units.size(), 1u);
  EXPECT_EQ(again.units[0]->nonce_start, start + 1'000'000);
  EXPECT_EQ(again.units[0]->nonce_count, 4'000'000u);
  EXPECT_TRUE(leases_.Audit().ok()) << leases_.Audit();
}

TEST_F(LeaseManagerTest, CleanJobCancelsEveryLeaseAtOnce) {
  AddJob("a", true);
  leases_.AddWorker(1, 1e6);
  leases_.AddWorker(2, 1e6);
  leases_.AddWorker(3, 1e6);
  leases_.Grant(1, 0, 0);
  leases_.Grant(2, 0, 0);
  std::string b = AddJob("b", true);
  ASSERT_EQ(dead_.size(), 1u);
  EXPECT_EQ(leases_.stats().units_leased, 0u);
  EXPECT_EQ(leases_.stats().units_queued, 0u);
  std::vector<uint64_t> held = leases_.DropJobs(dead_);  // Idempotent.
  EXPECT_TRUE(held.empty());
  Lease l = leases_.Grant(3, 0, 0);
  ASSERT_FALSE(l.units.empty());
  EXPECT_EQ(l.units[0]->midstate->job_key, b);
  clock_.Advance(absl::Seconds(60));
  auto expired = leases_.ExpireLeases();
  ASSERT_EQ(expired.size(), 1u);  // Only the new lease; the dropped ones are gone.
  EXPECT_EQ(expired[0].first, 3u);
}

TEST_F(LeaseManagerTest, DropJobsNamesTheHolders) {
  std::string a = AddJob("a", true);
  leases_.AddWorker(1, 1e6);
  leases_.AddWorker(2, 1e6);
  leases_.Grant(1, 0, 0);
  leases_.Grant(2, 0, 0);
  std::vector<uint64_t> held = leases_.DropJobs({a});
  std::sort(held.begin(), held.end());
  EXPECT_EQ(held, (std::vector<uint64_t>{1, 2}));
}

TEST_F(LeaseManagerTest, NonCleanJobMovesNewWorkOver) {
  std::string a = AddJob("a", true);
  leases_.AddWorker(1, 1e6);
  Lease la = leases_.Grant(1, 0, 0);
  std::string b = AddJob("b", false);
  EXPECT_TRUE(dead_.empty());
  Lease lb = leases_.Grant(1, 0, 0);
  EXPECT_EQ(lb.units[0]->midstate->job_key, b);
  EXPECT_NE(leases_.FindUnit(la.units[0]->unit_id), nullptr);  // a's lease stays valid.
}

TEST_F(LeaseManagerTest, HandingOutALeasedUnitAgainDies) {
  AddJob("a", true);
  leases_.AddWorker(1, 1e6);
  Lease l = leases_.Grant(1, 0, 0);
  // Corrupting the state is the only way to reach the invariant; the CHECK must fire.
  EXPECT_DEATH(
      {
        ASSERT_TRUE(leases_.Return(1, l.units[0]->unit_id, 0).ok());  // Re-queued.
        const_cast<Unit*>(leases_.FindUnit(l.units[0]->unit_id))->state = UnitState::kLeased;
        leases_.Grant(1, 0, 0);
      },
      "handed out twice");
}

}  // namespace
}  // namespace synth::lease
