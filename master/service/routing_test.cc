// The Cluster on fakes: Hello, leases, clean jobs, lost workers, telemetry, the status views.
#include "master/service/cluster.h"
#include "master/service/status_views.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/bitcoin/uint256.h"
#include "gtest/gtest.h"
#include "master/jobs/fake_upstream.h"
#include "master/service/fake_sink.h"
#include "master/jobs/test_jobs.h"

namespace synth::service {
namespace {

constexpr double kEasy = 65535.0 / 68719476736.0;  // One nonce in 4096 is a share.


v1::Hello MakeHello(const std::string& id, double rate = 1e6) {
  v1::Hello h;
  h.set_worker_id(id);
  h.set_hostname("host");
  h.set_protocol_version(1);
  v1::DeviceInfo* d = h.add_devices();
  d->set_name("cpu0");
  d->set_kind(v1::DEVICE_KIND_CPU);
  d->set_benchmarked_rate_hps(rate);
  return h;
}

v1::WorkerMessage Request(double seconds = 0) {
  v1::WorkerMessage m;
  m.mutable_lease_request()->set_seconds_wanted(seconds);
  return m;
}

class ClusterTest : public ::testing::Test {
 protected:
  ClusterTest() : cluster_(Opts(), &clock_, &upstream_) {
    upstream_.Start([this](const jobs::UpstreamJob& j) { cluster_.OnJob(j); });
  }
  Cluster::Options Opts() {
    Cluster::Options o;
    o.lease.expiry = absl::Seconds(20);
    o.status_every = absl::ZeroDuration();
    o.on_lease_granted = [this](double s) { lease_seconds_.push_back(s); };
    o.on_clean_job_switched = [this](double s) { switch_seconds_.push_back(s); };
    return o;
  }
  uint64_t Join(const std::string& id, FakeSink* sink) {
    absl::StatusOr<uint64_t> s = cluster_.Connect(MakeHello(id), "ipv4:127.0.0.1:1", sink);
    EXPECT_TRUE(s.ok()) << s.status();
    return *s;
  }

  std::vector<double> lease_seconds_;   // Observed through Options::on_lease_granted.
  std::vector<double> switch_seconds_;  // Observed through Options::on_clean_job_switched.
  FakeClock clock_;
  jobs::FakeUpstream upstream_;
  Cluster cluster_;
};

TEST_F(ClusterTest, HelloGetsWelcomeAndBadHelloIsRefused) {
  FakeSink sink;
  Join("w1", &sink);
  ASSERT_EQ(sink.Take(v1::MasterMessage::kWelcome).size(), 1u);
  v1::Hello bad = MakeHello("");
  EXPECT_EQ(cluster_.Connect(bad, "p", &sink).status().code(), absl::StatusCode::kInvalidArgument);
  bad = MakeHello("w2");
  bad.clear_devices();
  EXPECT_EQ(cluster_.Connect(bad, "p", &sink).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClusterTest, RequestWaitsForAJobThenGetsMidstatesOnce) {
  FakeSink sink;
  uint64_t s = Join("w1", &sink);
  cluster_.OnMessage(s, Request());
  EXPECT_TRUE(sink.Take(v1::MasterMessage::kLeaseGrant).empty());
  upstream_.Notify(jobs::TestJob("p1", 1, kEasy, true));
  std::vector<v1::MasterMessage> grants = sink.Take(v1::MasterMessage::kLeaseGrant);
  ASSERT_EQ(grants.size(), 1u);
  const v1::LeaseGrant g = grants[0].lease_grant();
  ASSERT_EQ(g.units_size(), 1u);
  ASSERT_EQ(g.midstates_size(), 1u);
  EXPECT_EQ(g.midstates(0).state().size(), 32u);
  EXPECT_EQ(g.midstates(0).tail().size(), 12u);
  EXPECT_EQ(g.midstates(0).share_target().size(), 32u);
  EXPECT_EQ(g.units(0).nonce_count(), 5'000'000u);  // 1 MH/s × 5 s.
  cluster_.OnMessage(s, Request());
  grants = sink.Take(v1::MasterMessage::kLeaseGrant);
  ASSERT_EQ(grants.size(), 1u);
  EXPECT_EQ(grants[0].lease_grant().midstates_size(), 0u);  // Same midstate: not sent again.
  EXPECT_EQ(grants[0].lease_grant().units(0).midstate_id(), g.units(0).midstate_id());
}

TEST_F(ClusterTest, ShareIsVerifiedSubmittedAndAnswered) {
  FakeSink sink;
  uint64_t s = Join("w1", &sink);
  upstream_.Notify(jobs::TestJob("p1", 1, kEasy, true));
  cluster_.OnMessage(s, Request());
  // The clean job pushed a first grant (with the midstate); the request got a second one.
  std::vector<v1::MasterMessage> grants = sink.Take(v1::MasterMessage::kLeaseGrant);
  ASSERT_EQ(grants.size(), 2u);
  EXPECT_EQ(grants[1].lease_grant().midstates_size(), 0);
  v1::LeaseGrant g = grants[0].lease_grant();
  ASSERT_EQ(g.midstates_size(), 1);
  // Rebuild the work from the wire payload, as a worker would, and find a share.
  hash::ScanWork work;
  const std::string& st = g.midstates(0).state();
  for (int i = 0; i < 8; ++i) {
    work.midstate[i] = (uint8_t(st[4 * i]) << 24) | (uint8_t(st[4 * i + 1]) << 16) |
                       (uint8_t(st[4 * i + 2]) << 8) | uint8_t(st[4 * i + 3]);
  }
  std::copy(g.midstates(0).tail().begin(), g.midstates(0).tail().end(), work.tail.begin());
  const std::string& t = g.midstates(0).share_target();
  for (int i = 0; i < 32; ++i) work.target[i / 4] |= uint32_t(uint8_t(t[i])) << (8 * (i % 4));
  uint32_t nonce = g.units(0).nonce_start();
  while (!hash::MeetsTarget(hash::HashNonce(work, nonce), work.target)) ++nonce;
  v1::WorkerMessage share;
  share.mutable_share()->set_share_id(42);
  share.mutable_share()->set_unit_id(g.units(0).unit_id());
  share.mutable_share()->set_midstate_id(g.units(0).midstate_id());
  share.mutable_share()->set_job_id(g.units(0).job_id());
  share.mutable_share()->set_nonce(nonce);
  share.mutable_share()->set_device("cpu0");
  share.mutable_share()->set_found_unix_us(absl::ToUnixMicros(absl::Now()) - 3000);
  cluster_.OnMessage(s, share);
  ASSERT_EQ(upstream_.submitted().size(), 1u);
  auto [p50, samples] = cluster_.share_path_ms().Percentile(0.5);
  EXPECT_EQ(samples, 1u);
  EXPECT_GE(p50, 3.0);  // Found 3 ms before it reached the master.
  EXPECT_EQ(upstream_.submitted()[0].nonce, nonce);
  EXPECT_EQ(upstream_.submitted()[0].job_id, "p1");
  std::vector<v1::MasterMessage> v = sink.Take(v1::MasterMessage::kShareVerdict);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].share_verdict().share_id(), 42u);
  EXPECT_EQ(v[0].share_verdict().state(), v1::SHARE_STATE_ACCEPTED);
  // The pool calling a share "job not found" (21) makes it stale in the ledger.
  upstream_.set_answer({.accepted = false, .code = 21, .reason = "Job not found"});
  v1::WorkerMessage late = share;
  late.mutable_share()->set_share_id(43);
  late.mutable_share()->set_nonce(nonce + 1);
  while (!hash::MeetsTarget(hash::HashNonce(work, late.share().nonce()), work.target)) {
    late.mutable_share()->set_nonce(late.share().nonce() + 1);
  }
  cluster_.OnMessage(s, late);
  v = sink.Take(v1::MasterMessage::kShareVerdict);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].share_verdict().state(), v1::SHARE_STATE_STALE);
  EXPECT_EQ(v[0].share_verdict().pool_code(), 21);
  v1::WorkerMessage again = share;  // The same share under another id: a duplicate.
  again.mutable_share()->set_share_id(44);
  cluster_.OnMessage(s, again);
  EXPECT_EQ(upstream_.submitted().size(), 2u);
  v = sink.Take(v1::MasterMessage::kShareVerdict);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].share_verdict().state(), v1::SHARE_STATE_DUPLICATE);
  EXPECT_EQ(cluster_.Counts().found(), 3u);
  EXPECT_EQ(cluster_.Counts().accepted(), 1u);
  EXPECT_EQ(cluster_.Counts().stale(), 1u);
  EXPECT_EQ(cluster_.Counts().duplicate(), 1u);
  // The status shows the best hash of the two shares that met their target (cgminer's "Best
  // Share"), whatever the pool said of them; the duplicate does not count.
  double best = 0;
  for (uint32_t n : {nonce, late.share().nonce()}) {
    best = std::max(best, bitcoin::DifficultyFromTarget(
                              bitcoin::Uint256::FromHash(hash::HashNonce(work, n))));
  }
  v1::StatusResponse status;
  FillStatus(cluster_, &status);
  EXPECT_DOUBLE_EQ(status.best_share_difficulty(), best);
  EXPECT_GE(best, kEasy);
}

TEST_F(ClusterTest, CleanJobCancelsEveryoneAndPushesNewWork) {
  FakeSink a, b;
  uint64_t sa = Join("a", &a);
  uint64_t sb = Join("b", &b);
  upstream_.Notify(jobs::TestJob("p1", 1, 1, true));
  cluster_.OnMessage(sa, Request());
  cluster_.OnMessage(sb, Request());
  a.sent.clear();
  b.sent.clear();
  upstream_.Notify(jobs::TestJob("p2", 2, 1, true));
  for (FakeSink* sink : {&a, &b}) {
    ASSERT_EQ(sink->sent.size(), 2u);
    ASSERT_TRUE(sink->sent[0].has_cancel());  // Cancel first, then the new job's work.
    EXPECT_TRUE(sink->sent[0].cancel().all());
    EXPECT_EQ(sink->sent[0].cancel().reason(), v1::CANCEL_REASON_CLEAN_JOB);
    ASSERT_TRUE(sink->sent[1].has_lease_grant());
    EXPECT_EQ(sink->sent[1].lease_grant().midstates(0).job_id(),
              sink->sent[1].lease_grant().units(0).job_id());
  }
  v1::StatusResponse st;
  FillStatus(cluster_, &st);
  EXPECT_GT(st.clean_fanout_max_ms(), 0);  // The fan-out to both workers was timed.
  EXPECT_EQ(st.coverage_audit(), "ok");
  // The monitoring observers saw both clean jobs and every grant (each clean job pushes one to
  // both workers, and each request got one), each lease seconds of work at the announced rate.
  EXPECT_EQ(switch_seconds_.size(), 2u);
  for (double s : switch_seconds_) EXPECT_GT(s, 0);
  ASSERT_EQ(lease_seconds_.size(), 6u);
  for (double s : lease_seconds_) EXPECT_GT(s, 0.5);
  EXPECT_TRUE(cluster_.Audit().ok());
}

TEST_F(ClusterTest, LostWorkerUnitsGoToTheOtherAndExpiryCancels) {
  upstream_.Notify(jobs::TestJob("p1", 1, 1, true));  // Before the workers: no pushed grants.
  FakeSink a, b;
  uint64_t sa = Join("a", &a);
  uint64_t sb = Join("b", &b);
  cluster_.OnMessage(sa, Request());
  uint64_t lost = a.Take(v1::MasterMessage::kLeaseGrant)[0].lease_grant().units(0).unit_id();
  cluster_.Disconnect(sa);
  cluster_.OnMessage(sb, Request());
  v1::LeaseGrant g = b.Take(v1::MasterMessage::kLeaseGrant)[0].lease_grant();
  EXPECT_EQ(g.units(0).unit_id(), lost);
  clock_.Advance(absl::Seconds(21));
  cluster_.Tick();
  std::vector<v1::MasterMessage> c = b.Take(v1::MasterMessage::kCancel);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].cancel().reason(), v1::CANCEL_REASON_LEASE_EXPIRED);
  EXPECT_EQ(c[0].cancel().unit_ids(0), lost);
  EXPECT_TRUE(cluster_.Audit().ok());
}

// The cluster's reported rate goes to the upstream (SV2 pools hear it in UpdateChannel) once a
// second of the Cluster's clock, not on every 100 ms tick.
TEST_F(ClusterTest, TheClusterRateGoesUpstreamOnceASecond) {
  FakeSink a;
  Join("a", &a);
  clock_.Advance(absl::Seconds(2));
  cluster_.Tick();
  ASSERT_EQ(upstream_.nominal().size(), 1u);
  EXPECT_GE(upstream_.nominal()[0], 0);
  clock_.Advance(absl::Milliseconds(100));
  cluster_.Tick();
  EXPECT_EQ(upstream_.nominal().size(), 1u);
  clock_.Advance(absl::Seconds(1));
  cluster_.Tick();
  EXPECT_EQ(upstream_.nominal().size(), 2u);
}

TEST_F(ClusterTest, SameWorkerIdReplacesTheOldStream) {
  FakeSink old_sink, new_sink;
  Join("w", &old_sink);
  Join("w", &new_sink);
  ASSERT_TRUE(old_sink.closed.has_value());
  EXPECT_EQ(old_sink.closed->code(), absl::StatusCode::kAborted);
  v1::WorkersResponse w;
  FillWorkers(cluster_, &w);
  EXPECT_EQ(w.workers_size(), 1);
}

TEST_F(ClusterTest, StatusShowsCounts) {
  FakeSink sink;
  Join("w1", &sink);
  upstream_.Notify(jobs::TestJob("p1", 1, 4, true));
  v1::StatusResponse st;
  FillStatus(cluster_, &st);
  EXPECT_EQ(st.workers(), 1u);
  EXPECT_EQ(st.pool_difficulty(), 4);
  EXPECT_EQ(st.job_id(), "p1");
  EXPECT_DOUBLE_EQ(st.reported_rate_hps(), 1e6);
  EXPECT_NE(StatusLine(cluster_).find("workers 1"), std::string::npos);
}

}  // namespace
}  // namespace synth::service

namespace synth::service {
namespace {

TEST_F(ClusterTest, TelemetrySizesLeasesAndBadSharesBackOff) {
  upstream_.Notify(jobs::TestJob("p1", 1, 1, true));
  FakeSink sink;
  uint64_t s = Join("w1", &sink);
  v1::WorkerMessage tel;
  v1::DeviceTelemetry* d = tel.mutable_telemetry()->add_devices();
  d->set_device("cpu0");
  d->set_rate_hps(20e6);
  cluster_.OnMessage(s, tel);
  cluster_.OnMessage(s, Request());
  v1::LeaseGrant g = sink.Take(v1::MasterMessage::kLeaseGrant)[0].lease_grant();
  EXPECT_EQ(g.units(0).nonce_count(), 100'000'000u);  // 20 MH/s × 5 s.
  // Forged shares (difficulty 1: random nonces are far off): hardware errors, then a flag.
  for (int i = 0; i < 12; ++i) {
    v1::WorkerMessage share;
    share.mutable_share()->set_share_id(i);
    share.mutable_share()->set_unit_id(g.units(0).unit_id());
    share.mutable_share()->set_midstate_id(g.units(0).midstate_id());
    share.mutable_share()->set_job_id(g.units(0).job_id());
    share.mutable_share()->set_nonce(g.units(0).nonce_start() + i);
    share.mutable_share()->set_device("cpu0");
    cluster_.OnMessage(s, share);
  }
  std::vector<v1::MasterMessage> v = sink.Take(v1::MasterMessage::kShareVerdict);
  ASSERT_EQ(v.size(), 12u);
  EXPECT_EQ(v[0].share_verdict().state(), v1::SHARE_STATE_HARDWARE_ERROR);
  EXPECT_TRUE(upstream_.submitted().empty());
  v1::WorkersResponse w;
  FillWorkers(cluster_, &w);
  ASSERT_EQ(w.workers_size(), 1);
  EXPECT_TRUE(w.workers(0).flagged());
  EXPECT_EQ(w.workers(0).devices(0).hardware_errors(), 12u);
  cluster_.OnMessage(s, Request());
  g = sink.Take(v1::MasterMessage::kLeaseGrant)[0].lease_grant();
  EXPECT_EQ(g.units(0).nonce_count(), 10'000'000u);  // Backed off to 10% of its rate.
}

// A worker whose benchmark came out NaN, inf or negative still joins, counted at rate 0
// (unknown), and never makes the cluster's rate NaN or inf; a finite telemetry rate then sizes
// its leases as usual, and a non-finite one counts 0.
TEST_F(ClusterTest, NonFiniteOrNegativeBenchmarkedRateCountsAsUnknown) {
  upstream_.Notify(jobs::TestJob("p1", 1, 1, true));
  const double bad[] = {std::nan(""), std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity(), -5e6};
  std::vector<std::unique_ptr<FakeSink>> sinks;
  std::vector<uint64_t> ids;
  for (size_t i = 0; i < std::size(bad); ++i) {
    sinks.push_back(std::make_unique<FakeSink>());
    absl::StatusOr<uint64_t> id = cluster_.Connect(
        MakeHello("bad" + std::to_string(i), bad[i]), "ipv4:127.0.0.1:1", sinks.back().get());
    ASSERT_TRUE(id.ok()) << id.status();
    ids.push_back(*id);
  }
  FakeSink good;
  Join("good", &good);  // 1 MH/s.
  v1::StatusResponse st;
  FillStatus(cluster_, &st);
  EXPECT_EQ(st.workers(), 5u);
  EXPECT_DOUBLE_EQ(st.reported_rate_hps(), 1e6);
  v1::WorkersResponse w;
  FillWorkers(cluster_, &w);
  for (const v1::WorkerStatus& ws : w.workers()) {
    EXPECT_TRUE(std::isfinite(ws.reported_rate_hps())) << ws.worker_id();
    EXPECT_GE(ws.reported_rate_hps(), 0) << ws.worker_id();
  }
  // Telemetry with inf is 0 too; a finite telemetry rate counts.
  v1::WorkerMessage tel;
  v1::DeviceTelemetry* d = tel.mutable_telemetry()->add_devices();
  d->set_device("cpu0");
  d->set_rate_hps(std::numeric_limits<double>::infinity());
  cluster_.OnMessage(ids[0], tel);
  d->set_rate_hps(2e6);
  cluster_.OnMessage(ids[1], tel);
  st.Clear();
  FillStatus(cluster_, &st);
  EXPECT_DOUBLE_EQ(st.reported_rate_hps(), 3e6);
  // A lease request claiming an infinite rate is sized like one that names no rate.
  auto granted = [&](size_t i) {
    uint64_t hashes = 0;
    for (const v1::MasterMessage& m : sinks[i]->Take(v1::MasterMessage::kLeaseGrant)) {
      for (const v1::WorkUnit& u : m.lease_grant().units()) hashes += u.nonce_count();
    }
    return hashes;
  };
  v1::WorkerMessage req = Request();
  req.mutable_lease_request()->set_rate_hps(std::numeric_limits<double>::infinity());
  cluster_.OnMessage(ids[2], req);
  cluster_.OnMessage(ids[3], Request());
  uint64_t inf_claim = granted(2);
  EXPECT_GT(inf_claim, 0u);
  EXPECT_EQ(inf_claim, granted(3));
}

}  // namespace
}  // namespace synth::service
