// The Cluster mining two pools at once on fakes: leases follow the weights, shares go to their
// job's pool, a clean job cancels only its pool's work, a pool that goes down gives its share to
// the other and gets it back, and a schedule window switches the weights at its minute.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/split_upstream.h"
#include "master/jobs/test_jobs.h"
#include "master/service/cluster.h"
#include "master/service/fake_sink.h"
#include "proto/midstate_codec.h"

namespace synth::service {
namespace {

constexpr double kEasy = 65535.0 / 68719476736.0;  // One nonce in 4096 is a share.


// Monday 2026-12-07 07:59 UTC.
absl::Time Start() {
  return absl::FromCivil(absl::CivilMinute(2026, 12, 7, 7, 59), absl::UTCTimeZone());
}

std::unique_ptr<jobs::SplitUpstream> TwoPools(jobs::FakeUpstream** a, jobs::FakeUpstream** b) {
  std::vector<std::unique_ptr<jobs::Upstream>> pools;
  pools.push_back(std::make_unique<jobs::FakeUpstream>());
  pools.push_back(std::make_unique<jobs::FakeUpstream>());
  *a = static_cast<jobs::FakeUpstream*>(pools[0].get());
  *b = static_cast<jobs::FakeUpstream*>(pools[1].get());
  return std::make_unique<jobs::SplitUpstream>(std::move(pools));
}

class ClusterSplitTest : public ::testing::Test {
 protected:
  ClusterSplitTest()
      : clock_(Start()), upstream_(TwoPools(&a_, &b_)), cluster_(Opts(), &clock_, upstream_.get()) {
    upstream_->Start([this](const jobs::UpstreamJob& j) { cluster_.OnJob(j); });
  }
  static Cluster::Options Opts() {
    Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    absl::StatusOr<std::optional<lease::PoolSplitConfig>> split = lease::ParseSplitFlags(
        {.weights = "70,30", .schedule = "08:00-20:00 weights=0,100 tz=UTC"}, 2);
    EXPECT_TRUE(split.ok()) << split.status();
    o.split = **split;
    return o;
  }
  uint64_t Join(const std::string& id, FakeSink* sink, double rate = 1e6) {
    v1::Hello h;
    h.set_worker_id(id);
    v1::DeviceInfo* d = h.add_devices();
    d->set_name("cpu0");
    d->set_benchmarked_rate_hps(rate);
    absl::StatusOr<uint64_t> s = cluster_.Connect(h, "ipv4:127.0.0.1:1", sink);
    EXPECT_TRUE(s.ok()) << s.status();
    return *s;
  }
  // Sends both pools a clean job.
  void BothJobs() {
    a_->Notify(jobs::TestJob("a1", 1, kEasy, true));
    b_->Notify(jobs::TestJob("b1", 2, kEasy, true));
  }
  // Requests `n` leases on `session` and completes every unit; returns the hashes by pool job
  // id prefix ("a" or "b").
  std::map<char, uint64_t> Lease(uint64_t session, FakeSink* sink, int n) {
    std::map<char, uint64_t> out;
    for (int i = 0; i < n; ++i) {
      v1::WorkerMessage req;
      req.mutable_lease_request();
      cluster_.OnMessage(session, req);
      v1::WorkerMessage done;
      for (const v1::MasterMessage& m : sink->Take(v1::MasterMessage::kLeaseGrant)) {
        for (const v1::WorkUnit& u : m.lease_grant().units()) {
          out[u.job_id()[u.job_id().rfind('/') + 1]] += u.nonce_count();
          v1::UnitProgress* p = done.mutable_progress()->add_units();
          p->set_unit_id(u.unit_id());
          p->set_state(v1::UNIT_STATE_COMPLETED);
        }
      }
      cluster_.OnMessage(session, done);
    }
    return out;
  }

  FakeClock clock_;
  jobs::FakeUpstream* a_ = nullptr;
  jobs::FakeUpstream* b_ = nullptr;
  std::unique_ptr<jobs::SplitUpstream> upstream_;
  Cluster cluster_;
};

// Returns the first unit of `job` in `grant` and its midstate's work (sent in that grant).
bool UnitOf(const v1::LeaseGrant& grant, const std::string& job, v1::WorkUnit* unit,
            hash::ScanWork* work) {
  for (const v1::WorkUnit& u : grant.units()) {
    if (u.job_id().substr(u.job_id().rfind('/') + 1) != job) continue;
    for (const v1::Midstate& m : grant.midstates()) {
      if (m.midstate_id() != u.midstate_id()) continue;
      absl::StatusOr<hash::ScanWork> w = proto::DecodeScanWork(m);
      if (!w.ok()) return false;
      *unit = u;
      *work = *w;
      return true;
    }
  }
  return false;
}

TEST_F(ClusterSplitTest, LeasesFollowTheWeightsAndSharesGoToTheirJobsPool) {
  BothJobs();
  FakeSink sink;
  uint64_t s = Join("w1", &sink);
  // The first lease carries both pools' work, each with its midstate.
  v1::WorkerMessage req;
  req.mutable_lease_request();
  cluster_.OnMessage(s, req);
  std::vector<v1::MasterMessage> first = sink.Take(v1::MasterMessage::kLeaseGrant);
  ASSERT_EQ(first.size(), 1u);
  v1::WorkUnit unit;
  hash::ScanWork work;
  ASSERT_TRUE(UnitOf(first[0].lease_grant(), "b1", &unit, &work));
  v1::WorkUnit a_unit;
  hash::ScanWork a_work;
  EXPECT_TRUE(UnitOf(first[0].lease_grant(), "a1", &a_unit, &a_work));

  std::map<char, uint64_t> got = Lease(s, &sink, 400);
  const double total = static_cast<double>(got['a'] + got['b']);
  EXPECT_NEAR(got['a'] / total, 0.7, 0.005);
  SplitStatus split = cluster_.Split();
  ASSERT_EQ(split.pools.size(), 2u);
  EXPECT_DOUBLE_EQ(split.pools[0].target_share, 0.7);
  EXPECT_TRUE(split.pools[1].live);
  EXPECT_GE(split.pools[0].hashes_assigned, got['a']);
  EXPECT_GE(split.pools[1].hashes_assigned, got['b']);

  // A share of a pool-1 unit goes to pool 1, and its accepted work is pool 1's.
  uint32_t nonce = unit.nonce_start();
  while (!hash::MeetsTarget(hash::HashNonce(work, nonce), work.target)) ++nonce;
  v1::WorkerMessage share;
  share.mutable_share()->set_share_id(1);
  share.mutable_share()->set_unit_id(unit.unit_id());
  share.mutable_share()->set_midstate_id(unit.midstate_id());
  share.mutable_share()->set_job_id(unit.job_id());
  share.mutable_share()->set_nonce(nonce);
  share.mutable_share()->set_device("cpu0");
  cluster_.OnMessage(s, share);
  EXPECT_TRUE(a_->submitted().empty());
  ASSERT_EQ(b_->submitted().size(), 1u);
  EXPECT_EQ(b_->submitted()[0].job_id, "b1");
  EXPECT_EQ(b_->submitted()[0].pool, 1u);
  EXPECT_DOUBLE_EQ(cluster_.Split().pools[1].accepted_difficulty, kEasy);
  EXPECT_DOUBLE_EQ(cluster_.Split().pools[0].accepted_difficulty, 0);
}

TEST_F(ClusterSplitTest, ACleanJobCancelsOnlyItsPoolsJobs) {
  BothJobs();
  FakeSink sink;
  uint64_t s = Join("w1", &sink);
  Lease(s, &sink, 3);
  sink.sent.clear();
  b_->Notify(jobs::TestJob("b2", 3, kEasy, true));
  std::vector<v1::MasterMessage> cancels = sink.Take(v1::MasterMessage::kCancel);
  ASSERT_EQ(cancels.size(), 1u);
  const v1::Cancel& c = cancels[0].cancel();
  EXPECT_FALSE(c.all());
  ASSERT_EQ(c.job_ids_size(), 1);
  EXPECT_EQ(c.job_ids(0).substr(c.job_ids(0).rfind('/') + 1), "b1");
  EXPECT_EQ(c.reason(), v1::CANCEL_REASON_CLEAN_JOB);
  EXPECT_TRUE(cluster_.Audit().ok()) << cluster_.Audit();
}

TEST_F(ClusterSplitTest, APoolThatGoesDownGivesItsShareAwayAndGetsItBack) {
  BothJobs();
  FakeSink sink;
  uint64_t s = Join("w1", &sink);
  a_->set_connected(false);
  cluster_.Tick();
  SplitStatus split = cluster_.Split();
  EXPECT_FALSE(split.pools[0].live);
  EXPECT_DOUBLE_EQ(split.pools[0].target_share, 0);
  EXPECT_DOUBLE_EQ(split.pools[1].target_share, 1);
  std::map<char, uint64_t> got = Lease(s, &sink, 20);
  EXPECT_EQ(got['a'], 0u);
  EXPECT_GT(got['b'], 0u);
  a_->set_connected(true);
  cluster_.Tick();
  EXPECT_DOUBLE_EQ(cluster_.Split().pools[0].target_share, 0.7);
  got = Lease(s, &sink, 200);
  EXPECT_NEAR(got['a'] / static_cast<double>(got['a'] + got['b']), 0.7, 0.01);
}

TEST_F(ClusterSplitTest, TheScheduleSwitchesTheWeightsAtItsMinute) {
  BothJobs();
  cluster_.Tick();
  SplitStatus split = cluster_.Split();  // 07:59 UTC: the base weights.
  EXPECT_EQ(split.window, -1);
  EXPECT_DOUBLE_EQ(split.pools[0].target_share, 0.7);
  clock_.Advance(absl::Seconds(59));
  cluster_.Tick();
  EXPECT_DOUBLE_EQ(cluster_.Split().pools[0].target_share, 0.7);
  clock_.Advance(absl::Seconds(1));  // 08:00: the window's weights 0,100.
  cluster_.Tick();
  split = cluster_.Split();
  EXPECT_EQ(split.window, 0);
  EXPECT_DOUBLE_EQ(split.pools[0].weight, 0);
  EXPECT_DOUBLE_EQ(split.pools[0].target_share, 0);
  EXPECT_DOUBLE_EQ(split.pools[1].target_share, 1);
  FakeSink sink;
  uint64_t s = Join("w1", &sink);
  std::map<char, uint64_t> got = Lease(s, &sink, 5);
  EXPECT_EQ(got['a'], 0u);
  EXPECT_GT(got['b'], 0u);
}

}  // namespace
}  // namespace synth::service
