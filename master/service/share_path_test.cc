// The Cluster's share path end to end on fakes: resends after a reconnect, the ledger's counts.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/test_jobs.h"
#include "master/service/cluster.h"
#include "master/service/status_views.h"
#include "proto/midstate_codec.h"

namespace synth::service {
namespace {

constexpr double kEasy = 65535.0 / 68719476736.0;  // One nonce in 4096 is a share.

class Sink : public StreamSink {
 public:
  void Send(v1::MasterMessage msg) override {
    if (msg.has_share_verdict()) verdicts.push_back(msg.share_verdict());
    if (msg.has_lease_grant()) grants.push_back(msg.lease_grant());
  }
  void Close(const absl::Status&) override {}
  std::vector<v1::ShareVerdict> verdicts;
  std::vector<v1::LeaseGrant> grants;
};

class ClusterSharesTest : public ::testing::Test {
 protected:
  ClusterSharesTest() : cluster_(Options(), &clock_, &upstream_) {
    upstream_.Start([this](const jobs::UpstreamJob& j) { cluster_.OnJob(j); });
  }
  static Cluster::Options Options() {
    Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    return o;
  }
  uint64_t Join(Sink* sink) {
    v1::Hello h;
    h.set_worker_id("w1");
    v1::DeviceInfo* d = h.add_devices();
    d->set_name("cpu0");
    d->set_benchmarked_rate_hps(1e6);
    absl::StatusOr<uint64_t> s = cluster_.Connect(h, "ipv4:127.0.0.1:1", sink);
    EXPECT_TRUE(s.ok()) << s.status();
    return *s;
  }
  // Returns a real share of the first unit `sink` was granted, with the worker's id `id`.
  static v1::WorkerMessage FindShare(const Sink& sink, uint64_t id) {
    const v1::LeaseGrant& g = sink.grants.at(0);
    absl::StatusOr<hash::ScanWork> work = proto::DecodeScanWork(g.midstates(0));
    EXPECT_TRUE(work.ok());
    uint32_t nonce = g.units(0).nonce_start();
    while (!hash::MeetsTarget(hash::HashNonce(*work, nonce), work->target)) ++nonce;
    v1::WorkerMessage m;
    m.mutable_share()->set_share_id(id);
    m.mutable_share()->set_unit_id(g.units(0).unit_id());
    m.mutable_share()->set_midstate_id(g.units(0).midstate_id());
    m.mutable_share()->set_job_id(g.units(0).job_id());
    m.mutable_share()->set_nonce(nonce);
    m.mutable_share()->set_device("cpu0");
    return m;
  }

  // Joins on `sink`, finds a share with id `id` and sends it; the pool holds its answer.
  // Returns the share and sets the session.
  v1::WorkerMessage SubmitHeld(Sink* sink, uint64_t id, uint64_t* session) {
    *session = Join(sink);
    upstream_.Notify(jobs::TestJob("p1", 1, kEasy, true));
    v1::WorkerMessage share = FindShare(*sink, id);
    upstream_.set_hold_answers(true);
    cluster_.OnMessage(*session, share);
    EXPECT_EQ(upstream_.submitted().size(), 1u);
    return share;
  }

  FakeClock clock_;
  jobs::FakeUpstream upstream_;
  Cluster cluster_;
};

// The stream broke after the master submitted the share and before its verdict reached the
// worker; the worker sends it again on its next stream. It must get the pool's verdict, not
// DUPLICATE, and the ledger must count it once.
TEST_F(ClusterSharesTest, ShareSentAgainAfterAReconnectGetsItsFirstVerdict) {
  Sink first, second;
  uint64_t s1 = 0;
  v1::WorkerMessage share = SubmitHeld(&first, 42, &s1);
  cluster_.Disconnect(s1);  // The stream is gone with the verdict still to come.
  upstream_.Release({.accepted = true});
  uint64_t s2 = Join(&second);
  cluster_.OnMessage(s2, share);
  ASSERT_EQ(second.verdicts.size(), 1u);
  EXPECT_EQ(second.verdicts[0].share_id(), 42u);
  EXPECT_EQ(second.verdicts[0].state(), v1::SHARE_STATE_ACCEPTED);
  EXPECT_EQ(upstream_.submitted().size(), 1u);  // Not judged nor submitted again.
  v1::ShareCounts c = cluster_.Counts();
  EXPECT_EQ(c.found(), 1u);
  EXPECT_EQ(c.accepted(), 1u);
  EXPECT_EQ(c.duplicate(), 0u);
  EXPECT_EQ(c.resent(), 1u);
  v1::WorkersResponse w;
  FillWorkers(cluster_, &w);
  ASSERT_EQ(w.workers_size(), 1);
  EXPECT_EQ(w.workers(0).shares().found(), 1u);  // The worker's counts span the reconnect.
  EXPECT_EQ(w.workers(0).shares().accepted(), 1u);
}

// Sent again while the first copy still waits for the pool: answered when the pool answers, on
// the stream the worker has then, exactly once.
TEST_F(ClusterSharesTest, ShareSentAgainWhilePendingIsAnsweredWhenThePoolAnswers) {
  Sink first, second;
  uint64_t s1 = 0;
  v1::WorkerMessage share = SubmitHeld(&first, 7, &s1);
  uint64_t s2 = Join(&second);  // Replaces the first stream.
  cluster_.OnMessage(s2, share);
  EXPECT_TRUE(second.verdicts.empty());
  EXPECT_EQ(cluster_.Counts().pending(), 1u);
  upstream_.Release({.accepted = true});
  ASSERT_EQ(second.verdicts.size(), 1u);
  EXPECT_EQ(second.verdicts[0].state(), v1::SHARE_STATE_ACCEPTED);
  EXPECT_TRUE(first.verdicts.empty());
  cluster_.OnMessage(s2, share);  // A copy that crossed the verdict: not answered twice.
  EXPECT_EQ(second.verdicts.size(), 1u);
  EXPECT_EQ(cluster_.Counts().found(), 1u);
  EXPECT_EQ(cluster_.Counts().accepted(), 1u);
}

// A submit the pool never answered is its own outcome (timed_out), not a pool rejection.
TEST_F(ClusterSharesTest, SubmitThePoolNeverAnsweredIsTimedOutNotRejected) {
  Sink sink;
  uint64_t s = 0;
  SubmitHeld(&sink, 5, &s);
  upstream_.Release({.reason = "timeout: no answer from the pool", .timed_out = true});
  ASSERT_EQ(sink.verdicts.size(), 1u);
  EXPECT_EQ(sink.verdicts[0].state(), v1::SHARE_STATE_TIMED_OUT);
  v1::ShareCounts c = cluster_.Counts();
  EXPECT_EQ(c.timed_out(), 1u);
  EXPECT_EQ(c.rejected(), 0u);
  EXPECT_EQ(c.found(), 1u);
}

// The same nonce under another share id is another report of the share: a duplicate.
TEST_F(ClusterSharesTest, SameShareUnderAnotherIdIsADuplicate) {
  Sink sink;
  uint64_t s = Join(&sink);
  upstream_.Notify(jobs::TestJob("p1", 1, kEasy, true));
  cluster_.OnMessage(s, FindShare(sink, 1));
  cluster_.OnMessage(s, FindShare(sink, 2));
  ASSERT_EQ(sink.verdicts.size(), 2u);
  EXPECT_EQ(sink.verdicts[0].state(), v1::SHARE_STATE_ACCEPTED);
  EXPECT_EQ(sink.verdicts[1].state(), v1::SHARE_STATE_DUPLICATE);
  EXPECT_EQ(cluster_.Counts().found(), 2u);
}

}  // namespace
}  // namespace synth::service
