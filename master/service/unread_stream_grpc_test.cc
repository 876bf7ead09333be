// A worker that stops reading its stream (docs/CLUSTER.md "A worker that does not read"): the
// master's write queue for it is bounded, the stream is closed, its leased units are re-queued,
// its shares stay counted, and the master keeps serving everyone else.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/test_jobs.h"
#include "master/service/server.h"
#include "master/service/status_views.h"
#include "proto/share_states.h"
#include "synth/v1/worker.grpc.pb.h"
#include "tests/wait_for.h"

namespace synth::service {
namespace {

using Stream = grpc::ClientReaderWriter<v1::WorkerMessage, v1::MasterMessage>;
using ::synth::testing::WaitFor;

class UnreadStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    cluster_ = std::make_unique<Cluster>(o, &clock_, &upstream_);
    upstream_.Start([this](const jobs::UpstreamJob& j) { cluster_->OnJob(j); });
    upstream_.Notify(jobs::TestJob("p1", 1, 1, true));
    MasterServer::Options so;
    so.listen = "127.0.0.1:0";
    so.worker_stream = {.max_queued_messages = 16, .unread_grace = absl::Milliseconds(200)};
    absl::StatusOr<std::unique_ptr<MasterServer>> s = MasterServer::Start(so, cluster_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }
  void TearDown() override {
    cluster_->Shutdown();
    server_->Shutdown();
  }
  // A channel whose receive window stays small, so that a reader that stops stalls the master's
  // writes after a few kilobytes (as a real stalled worker does after its window).
  std::unique_ptr<v1::WorkerService::Stub> Stub() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
    args.SetInt("grpc.use_local_subchannel_pool", 1);  // Its own connection.
    return v1::WorkerService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials(), args));
  }
  // Opens a stream for `id`, reads its Welcome and leases work.
  std::unique_ptr<Stream> Join(v1::WorkerService::Stub* stub, grpc::ClientContext* ctx,
                               const std::string& id, v1::WorkUnit* unit) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    std::unique_ptr<Stream> s = stub->Connect(ctx);
    v1::WorkerMessage m;
    m.mutable_hello()->set_worker_id(id);
    v1::DeviceInfo* d = m.mutable_hello()->add_devices();
    d->set_name("cpu0");
    d->set_benchmarked_rate_hps(1e6);
    EXPECT_TRUE(s->Write(m));
    m.Clear();
    m.mutable_lease_request()->set_hashes_wanted(1 << 20);
    EXPECT_TRUE(s->Write(m));
    v1::MasterMessage in;
    while (s->Read(&in) && !in.has_lease_grant()) {
    }
    EXPECT_TRUE(in.has_lease_grant());
    if (in.lease_grant().units_size() > 0) *unit = in.lease_grant().units(0);
    return s;
  }
  v1::WorkersResponse Workers() {
    v1::WorkersResponse w;
    FillWorkers(*cluster_, &w);
    return w;
  }

  RealClock clock_;
  jobs::FakeUpstream upstream_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<MasterServer> server_;
};

TEST_F(UnreadStreamTest, AWorkerThatDoesNotReadIsClosedAndItsUnitsRequeued) {
  std::unique_ptr<v1::WorkerService::Stub> deaf_stub = Stub(), good_stub = Stub();
  grpc::ClientContext deaf_ctx, good_ctx;
  v1::WorkUnit deaf_unit, good_unit;
  std::unique_ptr<Stream> deaf = Join(deaf_stub.get(), &deaf_ctx, "deaf", &deaf_unit);
  std::unique_ptr<Stream> good = Join(good_stub.get(), &good_ctx, "good", &good_unit);
  ASSERT_GT(deaf_unit.nonce_count(), 0u);
  // Forged shares, each answered with a verdict the deaf worker never reads, until the master
  // gives up on the stream (a write then fails).
  v1::WorkerMessage share;
  share.mutable_share()->set_unit_id(deaf_unit.unit_id());
  share.mutable_share()->set_midstate_id(deaf_unit.midstate_id());
  share.mutable_share()->set_job_id(deaf_unit.job_id());
  share.mutable_share()->set_nonce(deaf_unit.nonce_start());
  int sent = 0;
  for (; sent < 50000; ++sent) {
    share.mutable_share()->set_share_id(sent + 1);
    if (!deaf->Write(share)) break;
  }
  ASSERT_LT(sent, 50000) << "the master kept the stream of a worker that reads nothing";
  // Its session ends: gone from the workers, its unit re-queued; every share the master read is
  // counted in a state (those still in flight are the worker's to send again).
  ASSERT_TRUE(WaitFor([&] { return Workers().workers_size() == 1; }, 20000));
  EXPECT_EQ(Workers().workers(0).worker_id(), "good");
  v1::StatusResponse st;
  FillStatus(*cluster_, &st);
  EXPECT_EQ(st.shares().found(), proto::SumOfStates(st.shares()));
  EXPECT_GT(st.shares().found(), 16u);  // More than the queue bound: verdicts stopped flowing.
  EXPECT_TRUE(cluster_->Audit().ok());
  // The worker that reads is served as before, and gets the deaf worker's unit next.
  v1::WorkerMessage req;
  req.mutable_lease_request()->set_hashes_wanted(1 << 20);
  ASSERT_TRUE(good->Write(req));
  v1::MasterMessage in;
  while (good->Read(&in) && !in.has_lease_grant()) {
  }
  ASSERT_TRUE(in.has_lease_grant());
  EXPECT_EQ(in.lease_grant().units(0).unit_id(), deaf_unit.unit_id());
  // The deaf stream ends with an error status (RESOURCE_EXHAUSTED when the worker took the
  // message in flight in time, CANCELLED when it did not).
  deaf_ctx.TryCancel();
  EXPECT_FALSE(deaf->Finish().ok());
  good_ctx.TryCancel();
}

}  // namespace
}  // namespace synth::service
