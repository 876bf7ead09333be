// The LeaseManager with several pools: leases cut by the split's shares, per-pool queues and
// carving, a clean job of one pool leaving the other's work alone.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "master/jobs/test_jobs.h"
#include "master/lease/lease_manager.h"

namespace synth::lease {
namespace {

class LeaseSplitTest : public ::testing::Test {
 protected:
  LeaseSplitTest() : jobs_({.cache_ahead = 4}), leases_(Options(), &clock_, &jobs_) {}

  static LeaseManager::Options Options() {
    LeaseManager::Options o;
    o.expiry = absl::Seconds(20);
    o.min_lease_hashes = 1000;
    o.pools = 2;
    o.split.min_part_hashes = 1000;
    return o;
  }
  // Adds a job of `pool`; its dead jobs' units are dropped. Returns the job's key.
  std::string AddJob(const std::string& id, size_t pool, bool clean) {
    jobs::UpstreamJob j = jobs::TestJob(id, static_cast<int>(pool) + 1, 1, clean);
    j.pool = pool;
    absl::StatusOr<std::vector<std::string>> dead = jobs_.AddJob(j);
    EXPECT_TRUE(dead.ok());
    held_ = leases_.DropJobs(*dead);
    return jobs_.current(pool);
  }
  // Hashes of `lease` by pool.
  static std::map<size_t, uint64_t> ByPool(const Lease& lease) {
    std::map<size_t, uint64_t> out;
    for (const Unit* u : lease.units) out[u->midstate->pool] += u->nonce_count;
    return out;
  }

  FakeClock clock_;
  jobs::JobManager jobs_;
  LeaseManager leases_;
  std::vector<uint64_t> held_;
};

TEST_F(LeaseSplitTest, LeasesFollowTheSharesAcrossWorkersOfDifferentRates) {
  AddJob("a", 0, true);
  AddJob("b", 1, true);
  leases_.SetPoolShares({0.7, 0.3});
  const double rates[] = {3e6, 17e6, 250e6};
  for (int w = 0; w < 3; ++w) leases_.AddWorker(w + 1, rates[w]);
  uint64_t by_pool[2] = {};
  for (int i = 0; i < 3000; ++i) {
    uint64_t worker = i % 3 + 1;
    Lease lease = leases_.Grant(worker, 0, 0);
    ASSERT_FALSE(lease.units.empty());
    for (const Unit* u : lease.units) {
      by_pool[u->midstate->pool] += u->nonce_count;
      EXPECT_EQ(u->midstate->job_key, jobs_.current(u->midstate->pool));
      ASSERT_TRUE(leases_.Complete(worker, u->unit_id).ok());
    }
  }
  const double total = static_cast<double>(by_pool[0] + by_pool[1]);
  EXPECT_NEAR(by_pool[0] / total, 0.7, 0.005);
  std::vector<PoolAssignment> t = leases_.assigner().Totals();
  EXPECT_EQ(t[0].leased, by_pool[0]);
  EXPECT_EQ(t[1].leased, by_pool[1]);
  EXPECT_TRUE(leases_.Audit().ok()) << leases_.Audit();
}

TEST_F(LeaseSplitTest, ThePoolThatComesFirstInALeaseTurns) {
  AddJob("a", 0, true);
  AddJob("b", 1, true);
  leases_.SetPoolShares({0.7, 0.3});
  leases_.AddWorker(1, 1e6);
  std::map<size_t, int> first;  // Pool of each lease's first unit.
  for (int i = 0; i < 10; ++i) {
    Lease lease = leases_.Grant(1, 0, 0);
    ASSERT_EQ(ByPool(lease).size(), 2u);
    ++first[lease.units.front()->midstate->pool];
  }
  EXPECT_EQ(first[0], 5);
  EXPECT_EQ(first[1], 5);
}

TEST_F(LeaseSplitTest, ACleanJobOfOnePoolLeavesTheOthersLeases) {
  std::string a = AddJob("a", 0, true);
  AddJob("b", 1, true);
  leases_.SetPoolShares({0.5, 0.5});
  leases_.AddWorker(1, 1e6);
  std::map<size_t, uint64_t> parts = ByPool(leases_.Grant(1, 0, 0));
  ASSERT_EQ(parts.size(), 2u);
  AddJob("b2", 1, true);
  EXPECT_EQ(held_, std::vector<uint64_t>{1});
  // Pool 0's units are still leased; pool 1's are gone with their job, and off its account.
  EXPECT_EQ(leases_.stats().hashes_leased, parts[0]);
  std::vector<PoolAssignment> t = leases_.assigner().Totals();
  EXPECT_EQ(t[0].leased, parts[0]);
  EXPECT_EQ(t[1].leased, 0u);
  EXPECT_NE(jobs_.FindJob(a), nullptr);
  EXPECT_TRUE(leases_.Audit().ok()) << leases_.Audit();
}

TEST_F(LeaseSplitTest, RequeuedUnitsGoBackToTheirPoolAndItsAccount) {
  AddJob("a", 0, true);
  AddJob("b", 1, true);
  leases_.SetPoolShares({0.5, 0.5});
  leases_.AddWorker(1, 1e6);
  leases_.AddWorker(2, 1e6);
  Lease first = leases_.Grant(1, 0, 0);
  std::map<size_t, uint64_t> parts = ByPool(first);
  std::set<uint64_t> first_units;
  for (const Unit* u : first.units) first_units.insert(u->unit_id);
  ASSERT_EQ(leases_.RemoveWorker(1), first.units.size());
  std::vector<PoolAssignment> t = leases_.assigner().Totals();
  EXPECT_EQ(t[0].leased + t[1].leased, 0u);  // Taken back: nobody holds them.
  Lease again = leases_.Grant(2, 0, 0);
  EXPECT_EQ(ByPool(again), parts);  // The same ranges, from each pool's queue.
  std::set<uint64_t> again_units;
  for (const Unit* u : again.units) again_units.insert(u->unit_id);
  EXPECT_EQ(again_units, first_units);
  EXPECT_TRUE(leases_.Audit().ok()) << leases_.Audit();
}

TEST_F(LeaseSplitTest, APoolWithoutWorkLeavesItsPartToTheOthersAndZeroSharesPause) {
  AddJob("a", 0, true);
  leases_.SetPoolShares({0.5, 0.5});  // Pool 1 has no job yet.
  leases_.AddWorker(1, 1e6);
  Lease lease = leases_.Grant(1, 0, 0);
  EXPECT_EQ(lease.hashes, 5'000'000u);
  EXPECT_EQ(ByPool(lease)[0], 5'000'000u);
  leases_.SetPoolShares({0, 0});
  EXPECT_TRUE(leases_.Grant(1, 0, 0).units.empty());
}

}  // namespace
}  // namespace synth::lease
