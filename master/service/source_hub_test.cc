// The SourceHub, the host of downstream Stratum miners, inside a Cluster: slots, jobs for the
// port, and shares judged by the same validator and ledger as the workers'.
#include <memory>
#include <string>
#include <vector>

#include "common/bitcoin/uint256.h"
#include "gtest/gtest.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/test_jobs.h"
#include "master/service/cluster.h"
#include "master/service/status_views.h"
#include "proto/share_states.h"

namespace synth::service {
namespace {

constexpr double kPoolDiff = 65535.0 / 68719476736.0;  // One nonce in 4096 meets the pool.
constexpr double kMinerDiff = kPoolDiff / 16;          // One in 256 meets the miner.

class FakePort : public shares::SourcePort {
 public:
  void OnJob(std::shared_ptr<const shares::JobNotice> n) override { notices.push_back(std::move(n)); }
  void OnVerdict(uint64_t source, uint64_t share_id, const shares::SourceVerdict& v) override {
    verdicts.push_back({source, share_id, v});
  }
  shares::PortStats Stats() const override { return {.listen = "127.0.0.1:3334", .connections = 1}; }

  struct Got {
    uint64_t source, share_id;
    shares::SourceVerdict v;
  };
  std::vector<std::shared_ptr<const shares::JobNotice>> notices;
  std::vector<Got> verdicts;
};

class SourceHubTest : public ::testing::Test {
 protected:
  SourceHubTest() : cluster_(Opts(), &clock_, &upstream_) {
    upstream_.Start([this](const jobs::UpstreamJob& j) { cluster_.OnJob(j); });
    cluster_.sources().SetSourcePort(&port_);
  }
  static Cluster::Options Opts() {
    Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    o.jobs.downstream_slots = 100;  // One slot byte: 4-byte extranonce2 leaves the miner 3.
    return o;
  }
  // Returns nonces of the current job for `slot` and a 3-byte extranonce2: the first meeting
  // the pool's difficulty, the first meeting only the miner's, the first meeting neither.
  struct Nonces {
    uint32_t pool = 0, local = 0, low = 0;
  };
  Nonces Find(uint64_t slot, const std::vector<uint8_t>& en2) {
    const shares::JobNotice& n = *port_.notices.back();
    std::vector<uint8_t> en1 = n.extranonce1;
    en1.push_back(static_cast<uint8_t>(slot));
    bitcoin::Uint256 pool = *bitcoin::TargetFromDifficulty(kPoolDiff);
    bitcoin::Uint256 miner = *bitcoin::TargetFromDifficulty(kMinerDiff);
    Nonces out;
    bool have_pool = false, have_local = false, have_low = false;
    for (uint32_t nonce = 0; !(have_pool && have_local && have_low); ++nonce) {
      bitcoin::Uint256 h = bitcoin::Uint256::FromHash(
          stratum::BuildHeader(*n.job, en1, en2, n.job->version, n.job->ntime, nonce).Hash());
      if (h <= pool && !have_pool) out.pool = nonce, have_pool = true;
      if (h > pool && h <= miner && !have_local) out.local = nonce, have_local = true;
      if (h > miner && !have_low) out.low = nonce, have_low = true;
    }
    return out;
  }
  shares::SourceShare Share(uint32_t nonce, std::vector<uint8_t> en2 = {0, 0, 7},
                            uint64_t id = 1) {
    const shares::JobNotice& n = *port_.notices.back();
    return {id, n.job_key, {"farm.rig1", "x", std::move(en2), n.job->ntime, nonce, std::nullopt},
            kMinerDiff, 0};
  }

  FakeClock clock_;
  jobs::FakeUpstream upstream_;
  Cluster cluster_;
  FakePort port_;
};

TEST_F(SourceHubTest, NoSlotBeforeTheFirstJobThenOneSlotEachAndEveryJobNoticed) {
  EXPECT_EQ(cluster_.sources().AddSource({"127.0.0.1:5000", "cgminer/4.12", 0}).status().code(),
            absl::StatusCode::kUnavailable);
  upstream_.Notify(jobs::TestJob("p1", 1, kPoolDiff, true));
  ASSERT_EQ(port_.notices.size(), 1u);
  const shares::JobNotice& n = *port_.notices[0];
  EXPECT_EQ(n.partition.prefix_bytes, 1);
  EXPECT_EQ(n.partition.miner_bytes, 3);
  EXPECT_EQ(n.extranonce1, (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_TRUE(n.clean);
  EXPECT_DOUBLE_EQ(n.pool_difficulty, kPoolDiff);
  EXPECT_EQ(n.job->coinb1, jobs::TestJob("p1", 1).notify.coinb1);
  EXPECT_EQ(cluster_.sources().AddSource({"127.0.0.1:5000", "cgminer/4.12", 0})->slot, 1u);
  EXPECT_EQ(cluster_.sources().AddSource({"127.0.0.1:5001", "bitaxe", 0})->slot, 2u);
  EXPECT_TRUE(cluster_.Audit().ok()) << cluster_.Audit();
  // A port attached later hears of the current job at once.
  FakePort late;
  cluster_.sources().SetSourcePort(&late);
  EXPECT_EQ(late.notices.size(), 1u);
  cluster_.sources().SetSourcePort(&port_);
}

TEST_F(SourceHubTest, SharesAreJudgedForwardedAndCountedInTheOneLedger) {
  upstream_.Notify(jobs::TestJob("p1", 1, kPoolDiff, true));
  shares::SourceGrant g = *cluster_.sources().AddSource({"127.0.0.1:5000", "cgminer/4.12", 0});
  cluster_.sources().UpdateSource(g.source, "farm.rig1", kMinerDiff, 0);
  Nonces n = Find(g.slot, {0, 0, 7});
  // Valid at the miner's difficulty only: counted, answered (through the port), not submitted.
  shares::SourceOutcome local = cluster_.sources().SubmitShare(g.source, Share(n.local, {0, 0, 7}, 1));
  EXPECT_FALSE(local.forwarded);
  EXPECT_TRUE(local.valid);
  ASSERT_EQ(port_.verdicts.size(), 1u);
  EXPECT_TRUE(port_.verdicts[0].v.accepted);
  EXPECT_TRUE(upstream_.submitted().empty());
  // At the pool's: submitted with the slot's byte in front of the miner's extranonce2.
  shares::SourceOutcome fwd = cluster_.sources().SubmitShare(g.source, Share(n.pool, {0, 0, 7}, 2));
  EXPECT_TRUE(fwd.forwarded);
  ASSERT_EQ(upstream_.submitted().size(), 1u);
  EXPECT_EQ(upstream_.submitted()[0].job_id, "p1");
  EXPECT_EQ(upstream_.submitted()[0].extranonce2, (std::vector<uint8_t>{1, 0, 0, 7}));
  ASSERT_EQ(port_.verdicts.size(), 2u);  // FakeUpstream answers at once: accepted.
  EXPECT_EQ(port_.verdicts[1].source, g.source);
  EXPECT_EQ(port_.verdicts[1].share_id, 2u);
  EXPECT_TRUE(port_.verdicts[1].v.accepted);
  // Again: a duplicate. Above the miner's target: low difficulty. Wrong size: 20.
  auto code = [&](uint64_t source, const shares::SourceShare& s) {
    cluster_.sources().SubmitShare(source, s);
    return port_.verdicts.back().v.code;
  };
  EXPECT_EQ(code(g.source, Share(n.pool, {0, 0, 7}, 3)), 22);
  EXPECT_EQ(code(g.source, Share(n.low, {0, 0, 7}, 4)), 23);
  EXPECT_EQ(code(g.source, Share(n.pool, {0, 7}, 5)), 20);
  // The same nonce in another slot is another header (here above the miner's target).
  shares::SourceGrant other = *cluster_.sources().AddSource({"127.0.0.1:5001", "bitaxe", 0});
  EXPECT_EQ(code(other.source, Share(n.pool, {0, 0, 7}, 1)), 23);
  // A clean job kills p1: its shares are stale.
  std::string old_key = port_.notices.back()->job_key;
  upstream_.Notify(jobs::TestJob("p2", 2, kPoolDiff, true));
  shares::SourceShare stale = Share(n.pool, {0, 0, 8}, 6);
  stale.job_key = old_key;
  EXPECT_EQ(code(g.source, stale), 21);
  cluster_.sources().CountRefused(g.source, 7, /*rate_limited=*/true);
  v1::ShareCounts c = cluster_.Counts();
  EXPECT_EQ(c.accepted(), 1u);
  EXPECT_EQ(c.local(), 1u);
  EXPECT_EQ(c.duplicate(), 1u);
  EXPECT_EQ(c.below_target(), 2u);
  EXPECT_EQ(c.stale(), 1u);
  EXPECT_EQ(c.rate_limited(), 1u);
  EXPECT_EQ(c.found(), proto::SumOfStates(c));
  clock_.Advance(absl::Seconds(10));
  v1::WorkersResponse w;
  FillWorkers(cluster_, &w);
  ASSERT_EQ(w.workers_size(), 2);
  EXPECT_EQ(w.workers(0).worker_id(), "farm.rig1");
  EXPECT_EQ(w.workers(0).kind(), "stratum");
  EXPECT_EQ(w.workers(0).user_agent(), "cgminer/4.12");
  EXPECT_DOUBLE_EQ(w.workers(0).difficulty(), kMinerDiff);
  EXPECT_EQ(w.workers(0).shares().accepted(), 1u);
  EXPECT_EQ(w.workers(0).shares().local(), 1u);
  EXPECT_GT(w.workers(0).verified_rate_hps(), 0);
  v1::StatusResponse s;
  FillStatus(cluster_, &s);
  EXPECT_EQ(s.stratum_port().listen(), "127.0.0.1:3334");
  EXPECT_EQ(s.stratum_port().slots_held(), 2u);
  EXPECT_EQ(s.coverage_audit(), "ok");
}

TEST_F(SourceHubTest, PoolRejectsReachTheMinerAndAGoneSourceLeavesTheLedgerWhole) {
  upstream_.Notify(jobs::TestJob("p1", 1, kPoolDiff, true));
  shares::SourceGrant g = *cluster_.sources().AddSource({"127.0.0.1:5000", "cgminer/4.12", 0});
  Nonces n = Find(g.slot, {0, 0, 7});
  upstream_.set_answer({.accepted = false, .code = 23, .reason = "Above target"});
  ASSERT_TRUE(cluster_.sources().SubmitShare(g.source, Share(n.pool, {0, 0, 7}, 9)).forwarded);
  ASSERT_EQ(port_.verdicts.size(), 1u);
  EXPECT_FALSE(port_.verdicts[0].v.accepted);
  EXPECT_EQ(port_.verdicts[0].v.code, 23);
  upstream_.set_hold_answers(true);
  Nonces m = Find(g.slot, {0, 0, 8});
  ASSERT_TRUE(cluster_.sources().SubmitShare(g.source, Share(m.pool, {0, 0, 8}, 10)).forwarded);
  cluster_.sources().RemoveSource(g.source);  // Gone before the pool answers.
  upstream_.Release({.accepted = true});
  EXPECT_EQ(port_.verdicts.size(), 1u);  // Nobody to tell.
  v1::ShareCounts c = cluster_.Counts();
  EXPECT_EQ(c.rejected(), 1u);
  EXPECT_EQ(c.accepted(), 1u);
  EXPECT_EQ(c.pending(), 0u);
  EXPECT_TRUE(cluster_.Audit().ok()) << cluster_.Audit();
}

TEST_F(SourceHubTest, AReleasedSlotWaitsForItsJobsAndAResumeGetsItBack) {
  upstream_.Notify(jobs::TestJob("p1", 1, kPoolDiff, true));
  shares::SourceGrant a = *cluster_.sources().AddSource({"a", "m", 0});
  cluster_.sources().RemoveSource(a.source);
  // p1 still live: slot 1 is quarantined, a newcomer gets slot 2; a resume gets slot 1.
  EXPECT_EQ(cluster_.sources().AddSource({"b", "m", 0})->slot, 2u);
  EXPECT_EQ(cluster_.sources().AddSource({"a2", "m", /*resume_slot=*/1})->slot, 1u);
  EXPECT_TRUE(cluster_.Audit().ok()) << cluster_.Audit();
}

}  // namespace
}  // namespace synth::service
