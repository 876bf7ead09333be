// The SourceHub with a pool split (docs/CLUSTER.md "Pool split"), two fake pools and a fake
// port: miners routed whole by the weights, each mining its pool's jobs with its shares going
// to that pool, their measured rate counted toward the split, moved when their pool leaves it,
// nobody moved when it comes back; slots as many as the pool with the fewest allows.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/bitcoin/uint256.h"
#include "gtest/gtest.h"
#include "master/jobs/test_jobs.h"
#include "master/service/cluster.h"
#include "master/service/fake_port.h"
#include "master/service/fake_sink.h"
#include "master/service/status_views.h"
#include "master/service/two_pool_cluster.h"

namespace synth::service {
namespace {

constexpr double kPoolDiff = 65535.0 / 68719476736.0;  // One nonce in 4096 meets the pool.

// Monday 2026-12-07 07:00 UTC: the schedule's window (weights 0,100) starts in an hour.
absl::Time Start() {
  return absl::FromCivil(absl::CivilMinute(2026, 12, 7, 7, 0), absl::UTCTimeZone());
}

// A job of pool `pool` (0: "a", 1: "b"), its own extranonce1, `en2_size` bytes of extranonce2.
jobs::UpstreamJob PoolJob(size_t pool, const std::string& id, int seed, int en2_size = 4) {
  jobs::UpstreamJob j = jobs::TestJob(id, seed, kPoolDiff, true);
  j.extranonce1 = {static_cast<uint8_t>(0xa0 + pool), 0x01, 0x02, 0x03};
  j.extranonce2_size = en2_size;
  return j;
}

class SourceHubSplitTest : public ::testing::Test, protected TwoPoolCluster {
 protected:
  SourceHubSplitTest() : TwoPoolCluster(Opts(), Start()) {
    cluster_.sources().SetSourcePort(&port_);
  }
  static Cluster::Options Opts() {
    Cluster::Options o = SplitOptions("70,30", "08:00-20:00 weights=0,100 tz=UTC");
    o.jobs.downstream_slots = 300;  // Two slot bytes where the pool's extranonce2 allows.
    return o;
  }
  void BothJobs() {
    a_->Notify(PoolJob(0, "a1", 1));
    b_->Notify(PoolJob(1, "b1", 2));
  }
  shares::SourceGrant Add(const std::string& peer) {
    absl::StatusOr<shares::SourceGrant> g = cluster_.sources().AddSource({peer, "bitaxe", 0});
    EXPECT_TRUE(g.ok()) << g.status();
    return g.value_or(shares::SourceGrant{});
  }
  // Submits a share of `g` on its pool's current job that meets the pool's difficulty.
  void SubmitPoolShare(const shares::SourceGrant& g) {
    const shares::JobNotice& n = *port_.Last(g.pool);
    std::vector<uint8_t> en1 = n.extranonce1;
    std::vector<uint8_t> prefix = jobs::SlotPrefix(g.slot, n.partition.prefix_bytes);
    en1.insert(en1.end(), prefix.begin(), prefix.end());
    std::vector<uint8_t> en2(n.partition.miner_bytes, 7);
    bitcoin::Uint256 target = *bitcoin::TargetFromDifficulty(kPoolDiff);
    uint32_t nonce = 0;
    while (bitcoin::Uint256::FromHash(stratum::BuildHeader(*n.job, en1, en2, n.job->version,
                                                           n.job->ntime, nonce)
                                          .Hash()) > target) {
      ++nonce;
    }
    shares::SourceShare s{1, n.job_key, {"rig", "x", en2, n.job->ntime, nonce, std::nullopt},
                          kPoolDiff, 0};
    EXPECT_TRUE(cluster_.sources().SubmitShare(g.source, s).forwarded);
  }
  std::vector<int> PoolIndexes() {
    v1::WorkersResponse w;
    FillWorkers(cluster_, &w);
    std::vector<int> out;
    for (const v1::WorkerStatus& x : w.workers()) out.push_back(x.pool_index());
    return out;
  }

  FakePort port_;
};

TEST_F(SourceHubSplitTest, MinersAreRoutedByTheWeightsAndTheirSharesGoToTheirPool) {
  EXPECT_EQ(cluster_.sources().AddSource({"a", "m", 0}).status().code(),
            absl::StatusCode::kUnavailable);  // No job yet.
  BothJobs();
  ASSERT_NE(port_.Last(0), nullptr);
  ASSERT_NE(port_.Last(1), nullptr);
  EXPECT_EQ(port_.Last(1)->extranonce1[0], 0xa1);
  // Rates unknown at subscribe: ten miners are spread 7 / 3 by count.
  std::vector<shares::SourceGrant> g;
  std::vector<int> per_pool(2, 0);
  for (int i = 0; i < 10; ++i) {
    g.push_back(Add("10.0.0." + std::to_string(i)));
    ++per_pool[g.back().pool];
  }
  EXPECT_EQ(per_pool, (std::vector<int>{7, 3}));
  EXPECT_EQ(g[0].pool, 0u);
  EXPECT_EQ(g[1].pool, 1u);
  SubmitPoolShare(g[1]);
  SubmitPoolShare(g[0]);
  ASSERT_EQ(b_->submitted().size(), 1u);
  EXPECT_EQ(b_->submitted()[0].job_id, "b1");
  EXPECT_EQ(b_->submitted()[0].pool, 1u);
  ASSERT_EQ(a_->submitted().size(), 1u);
  EXPECT_EQ(a_->submitted()[0].job_id, "a1");
  EXPECT_EQ(cluster_.Counts().accepted(), 2u);
  SplitStatus split = cluster_.Split();
  EXPECT_EQ(split.pools[0].stratum_miners, 7u);
  EXPECT_EQ(split.pools[1].stratum_miners, 3u);
  std::vector<int> indexes = PoolIndexes();
  EXPECT_EQ(std::count(indexes.begin(), indexes.end(), 1), 3);
  EXPECT_TRUE(cluster_.Audit().ok()) << cluster_.Audit();
}

TEST_F(SourceHubSplitTest, MeasuredRatesCountTowardTheSplitAndLeasesMakeUpTheRest) {
  BothJobs();
  shares::SourceGrant miner = Add("10.0.0.1");
  ASSERT_EQ(miner.pool, 0u);
  cluster_.sources().UpdateSource(miner.source, "rig", kPoolDiff, 50e6);
  FakeSink sink;
  v1::Hello hello;
  hello.set_worker_id("w1");
  hello.add_devices()->set_name("cpu0");
  uint64_t session = *cluster_.Connect(hello, "ipv4:127.0.0.1:1", &sink);
  // 100 s: the miner's 50 MH/s is credited to pool 0 every tick; a worker leases 50 MH of
  // work a second. Pool 0 is owed 70% of 100 MH/s: the miner's 50 and 20 of the leases.
  cluster_.Tick();
  for (int s = 0; s < 100; ++s) {
    clock_.Advance(absl::Seconds(1));
    cluster_.Tick();
    v1::WorkerMessage req;
    req.mutable_lease_request()->set_hashes_wanted(50'000'000);
    cluster_.OnMessage(session, req);
    v1::WorkerMessage done;
    for (const v1::MasterMessage& m : sink.Take(v1::MasterMessage::kLeaseGrant)) {
      for (const v1::WorkUnit& u : m.lease_grant().units()) {
        v1::UnitProgress* p = done.mutable_progress()->add_units();
        p->set_unit_id(u.unit_id());
        p->set_state(v1::UNIT_STATE_COMPLETED);
      }
    }
    cluster_.OnMessage(session, done);
  }
  SplitStatus split = cluster_.Split();
  EXPECT_EQ(split.pools[0].hashes_downstream, 5'000'000'000u);
  EXPECT_EQ(split.pools[1].hashes_downstream, 0u);
  double a = static_cast<double>(split.pools[0].hashes_assigned);
  double b = static_cast<double>(split.pools[1].hashes_assigned);
  EXPECT_NEAR(a / (a + b), 0.7, 0.01);
  v1::PoolsResponse pools;
  FillSplit(cluster_, &pools);
  EXPECT_EQ(pools.pools(0).stratum_miners(), 1u);
  EXPECT_EQ(pools.pools(0).hashes_downstream(), 5'000'000'000u);
}

TEST_F(SourceHubSplitTest, MinersOfAPoolThatGoesDownMoveAndNobodyMovesBack) {
  BothJobs();
  std::vector<shares::SourceGrant> g;
  for (int i = 0; i < 4; ++i) g.push_back(Add("10.0.0." + std::to_string(i)));
  ASSERT_EQ(cluster_.Split().pools[0].stratum_miners, 3u);
  a_->set_connected(false);
  cluster_.Tick();
  ASSERT_EQ(port_.moves.size(), 3u);
  for (const FakePort::Move& m : port_.moves) EXPECT_EQ(m.pool, 1u);
  EXPECT_EQ(cluster_.Split().pools[1].stratum_miners, 4u);
  EXPECT_EQ(PoolIndexes(), (std::vector<int>{1, 1, 1, 1}));
  g[0].pool = 1;  // Its shares go to pool 1 now, in the same slot.
  SubmitPoolShare(g[0]);
  ASSERT_EQ(b_->submitted().size(), 1u);
  EXPECT_TRUE(a_->submitted().empty());
  EXPECT_TRUE(cluster_.Audit().ok()) << cluster_.Audit();
  // Pool 0 comes back: nobody moves; a newcomer goes to the pool with room.
  a_->set_connected(true);
  a_->Notify(PoolJob(0, "a2", 3));
  cluster_.Tick();
  EXPECT_EQ(port_.moves.size(), 3u);
  EXPECT_EQ(Add("10.0.0.9").pool, 0u);
}

TEST_F(SourceHubSplitTest, AScheduleWindowGivingAPoolWeightZeroMovesItsMiners) {
  BothJobs();
  shares::SourceGrant on_a = Add("10.0.0.1");
  ASSERT_EQ(on_a.pool, 0u);
  clock_.Advance(absl::Hours(1));  // 08:00: weights 0,100.
  cluster_.Tick();
  ASSERT_EQ(port_.moves.size(), 1u);
  EXPECT_EQ(port_.moves[0].source, on_a.source);
  EXPECT_EQ(port_.moves[0].pool, 1u);
  EXPECT_EQ(Add("10.0.0.2").pool, 1u);
}

TEST_F(SourceHubSplitTest, SlotsAreAsManyAsThePoolWithTheFewestAllows) {
  a_->Notify(PoolJob(0, "a1", 1, /*en2_size=*/8));  // Two slot bytes: 65,535 slots.
  std::vector<uint64_t> beyond;  // Holders of slots 256..260.
  for (int i = 1; i <= 260; ++i) {
    shares::SourceGrant g = Add("10.0.1." + std::to_string(i));
    ASSERT_EQ(g.slot, static_cast<uint64_t>(i));
    if (g.slot > 255) beyond.push_back(g.source);
  }
  b_->Notify(PoolJob(1, "b1", 2, /*en2_size=*/3));  // One slot byte: 255 slots.
  const shares::JobNotice* n = port_.Last(1);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->partition.slots, 255u);
  std::vector<uint64_t> displaced = n->displaced;  // The port reconnects them.
  std::sort(displaced.begin(), displaced.end());
  EXPECT_EQ(displaced, beyond);
  for (uint64_t source : beyond) cluster_.sources().RemoveSource(source);
  EXPECT_TRUE(cluster_.Audit().ok()) << cluster_.Audit();
}

}  // namespace
}  // namespace synth::service
