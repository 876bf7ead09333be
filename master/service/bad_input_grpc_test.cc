// Bad input from workers over real gRPC (docs/RELIABILITY.md): a message over the 4 MiB receive cap, bytes
// that are no WorkerMessage, a share flood and a worker that stops reading each get a clear
// answer on the offending stream only; the master keeps serving everyone else and the offender
// can reconnect.
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/generic/generic_stub.h"
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

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    o.ledger.max_share_rate = 50;
    cluster_ = std::make_unique<Cluster>(o, &clock_, &upstream_);
    upstream_.Start([this](const jobs::UpstreamJob& j) { cluster_->OnJob(j); });
    upstream_.Notify(jobs::TestJob("p1", 1, 1, true));
    MasterServer::Options so;
    so.listen = "127.0.0.1:0";
    so.worker_stream = StreamOptions();
    absl::StatusOr<std::unique_ptr<MasterServer>> s = MasterServer::Start(so, cluster_.get());
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::WorkerService::NewStub(channel_);
  }
  virtual WorkerStreamOptions StreamOptions() const { return {}; }
  void TearDown() override {
    cluster_->Shutdown();
    server_->Shutdown();
  }
  // Opens a stream for `id` (on `stub`, by default the fixture's) and reads its Welcome.
  std::unique_ptr<Stream> Join(grpc::ClientContext* ctx, const std::string& id,
                               v1::WorkerService::Stub* stub = nullptr) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    std::unique_ptr<Stream> s = (stub != nullptr ? stub : stub_.get())->Connect(ctx);
    v1::WorkerMessage hello;
    hello.mutable_hello()->set_worker_id(id);
    v1::DeviceInfo* d = hello.mutable_hello()->add_devices();
    d->set_name("cpu0");
    d->set_benchmarked_rate_hps(1e6);
    EXPECT_TRUE(s->Write(hello));
    v1::MasterMessage in;
    EXPECT_TRUE(s->Read(&in));
    EXPECT_TRUE(in.has_welcome());
    return s;
  }
  // Asks for work and returns the grant's first unit.
  v1::WorkUnit Lease(Stream* s) {
    v1::WorkerMessage req;
    req.mutable_lease_request()->set_hashes_wanted(1 << 20);
    EXPECT_TRUE(s->Write(req));
    v1::MasterMessage in;
    while (s->Read(&in) && !in.has_lease_grant()) {
    }
    EXPECT_TRUE(in.has_lease_grant());
    return in.lease_grant().units_size() > 0 ? in.lease_grant().units(0) : v1::WorkUnit();
  }

  RealClock clock_;
  jobs::FakeUpstream upstream_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<MasterServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::WorkerService::Stub> stub_;
};

TEST_F(BadInputTest, OversizedMessageEndsOnlyThatStreamAndTheWorkerRejoins) {
  grpc::ClientContext good_ctx, bad_ctx;
  std::unique_ptr<Stream> good = Join(&good_ctx, "good");
  std::unique_ptr<Stream> bad = Join(&bad_ctx, "big");
  Lease(bad.get());
  v1::WorkerMessage big;
  big.mutable_telemetry()->add_devices()->set_device(std::string(5 << 20, 'x'));  // > 4 MiB.
  bad->Write(big);
  v1::MasterMessage in;
  while (bad->Read(&in)) {
  }
  grpc::Status st = bad->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << st.error_message();
  // The other worker is served as before; the offender's session and leases are gone.
  EXPECT_GT(Lease(good.get()).nonce_count(), 0u);
  // The server ends the offender's session when its reactor is done, which may be just after
  // the client has seen the status: wait (bounded) for it.
  v1::WorkersResponse w;
  for (int i = 0; i < 500; ++i) {
    w.Clear();
    FillWorkers(*cluster_, &w);
    if (w.workers_size() == 1) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_EQ(w.workers_size(), 1);
  EXPECT_EQ(w.workers(0).worker_id(), "good");
  // It reconnects with a normal Hello and gets work again.
  grpc::ClientContext again_ctx;
  std::unique_ptr<Stream> again = Join(&again_ctx, "big");
  EXPECT_GT(Lease(again.get()).nonce_count(), 0u);
  EXPECT_TRUE(cluster_->Audit().ok());
  good_ctx.TryCancel();
  again_ctx.TryCancel();
}

TEST_F(BadInputTest, UndecodableBytesGetAnErrorAndTheMasterKeepsServing) {
  grpc::ClientContext good_ctx;
  std::unique_ptr<Stream> good = Join(&good_ctx, "good");
  grpc::GenericStub generic(channel_);
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto call = generic.PrepareCall(&ctx, "/synth.v1.WorkerService/Connect", &cq);
  auto wait = [&cq](intptr_t want) {
    void* tag;
    bool ok = false;
    EXPECT_TRUE(cq.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), want);
    return ok;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(wait(1));
  grpc::Slice garbage(std::string("\x0a\xff\xff\xff\xff\x0f garbage"));
  grpc::ByteBuffer out(&garbage, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  wait(2);
  grpc::ByteBuffer reply;
  call->Read(&reply, reinterpret_cast<void*>(3));
  EXPECT_FALSE(wait(3));  // No Welcome, no message at all.
  grpc::Status st;
  call->Finish(&st, reinterpret_cast<void*>(4));
  wait(4);
  EXPECT_FALSE(st.ok());
  EXPECT_FALSE(st.error_message().empty());
  EXPECT_GT(Lease(good.get()).nonce_count(), 0u);  // Everyone else is still served.
  good_ctx.TryCancel();
  cq.Shutdown();
  void* tag;
  bool ok;
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(BadInputTest, ShareFloodIsRateLimitedCountedAndFlagged) {
  grpc::ClientContext flood_ctx, good_ctx;
  std::unique_ptr<Stream> flood = Join(&flood_ctx, "flood");
  std::unique_ptr<Stream> good = Join(&good_ctx, "good");
  v1::WorkUnit unit = Lease(flood.get());
  constexpr int kShares = 400;  // Limit 50/s with a 2 s burst: most are over it.
  for (int i = 0; i < kShares; ++i) {
    v1::WorkerMessage share;
    share.mutable_share()->set_share_id(i);
    share.mutable_share()->set_unit_id(unit.unit_id());
    share.mutable_share()->set_midstate_id(unit.midstate_id());
    share.mutable_share()->set_job_id(unit.job_id());
    share.mutable_share()->set_nonce(unit.nonce_start() + i);
    share.mutable_share()->set_device("cpu0");
    ASSERT_TRUE(flood->Write(share));
  }
  int verdicts = 0, limited = 0;
  v1::MasterMessage in;
  while (verdicts < kShares && flood->Read(&in)) {
    if (!in.has_share_verdict()) continue;
    ++verdicts;
    limited += in.share_verdict().state() == v1::SHARE_STATE_RATE_LIMITED;
  }
  EXPECT_EQ(verdicts, kShares);  // Every share is answered, none silently dropped.
  EXPECT_GE(limited, kShares - 150);
  EXPECT_GT(Lease(good.get()).nonce_count(), 0u);
  v1::StatusResponse status;
  FillStatus(*cluster_, &status);
  EXPECT_EQ(status.shares().rate_limited(), static_cast<uint64_t>(limited));
  EXPECT_EQ(status.shares().found(), static_cast<uint64_t>(kShares));
  EXPECT_EQ(status.shares().found(), proto::SumOfStates(status.shares()));
  v1::WorkersResponse w;
  FillWorkers(*cluster_, &w);
  for (const v1::WorkerStatus& ws : w.workers()) {
    EXPECT_EQ(ws.rate_limited(), ws.worker_id() == "flood") << ws.worker_id();
    if (ws.worker_id() == "flood") EXPECT_TRUE(ws.flagged());
  }
  flood_ctx.TryCancel();
  good_ctx.TryCancel();
}

// A master whose write queue per stream holds 16 messages, and a client whose receive window
// stays small, so that a reader that stops stalls the master's writes after a few kilobytes
// (as a real stalled worker does after its window).
class UnreadStreamTest : public BadInputTest {
 protected:
  WorkerStreamOptions StreamOptions() const override {
    return {.max_queued_messages = 16, .unread_grace = absl::Milliseconds(200)};
  }
  std::unique_ptr<v1::WorkerService::Stub> SmallWindowStub() {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
    args.SetInt("grpc.use_local_subchannel_pool", 1);  // A connection of its own.
    return v1::WorkerService::NewStub(grpc::CreateCustomChannel(
        absl::StrCat("127.0.0.1:", server_->port()), grpc::InsecureChannelCredentials(), args));
  }
};

// A worker that stops reading (docs/CLUSTER.md "A worker that does not read"): the master's
// write queue for it is bounded, the stream is closed, its leased units are re-queued, its
// shares stay counted, and the master keeps serving everyone else.
TEST_F(UnreadStreamTest, AWorkerThatDoesNotReadIsClosedAndItsUnitsRequeued) {
  std::unique_ptr<v1::WorkerService::Stub> deaf_stub = SmallWindowStub();
  grpc::ClientContext deaf_ctx, good_ctx;
  std::unique_ptr<Stream> deaf = Join(&deaf_ctx, "deaf", deaf_stub.get());
  std::unique_ptr<Stream> good = Join(&good_ctx, "good");
  v1::WorkUnit deaf_unit = Lease(deaf.get());
  ASSERT_GT(deaf_unit.nonce_count(), 0u);
  // Forged shares, each answered with a verdict the deaf worker never reads, until the master
  // gives up on the stream (a write then fails).
  v1::WorkerMessage share;
  share.mutable_share()->set_unit_id(deaf_unit.unit_id());
  share.mutable_share()->set_midstate_id(deaf_unit.midstate_id());
  share.mutable_share()->set_job_id(deaf_unit.job_id());
  share.mutable_share()->set_nonce(deaf_unit.nonce_start());
  // Written until a write fails, with a deadline rather than a count: on a loaded machine the
  // master may read many thousands before its unread grace runs out.
  int sent = 0;
  bool closed = false;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (; !closed && absl::Now() < deadline; ++sent) {
    share.mutable_share()->set_share_id(sent + 1);
    closed = !deaf->Write(share);
  }
  ASSERT_TRUE(closed) << "the master kept the stream of a worker that reads nothing (" << sent
                      << " shares in 30 s)";
  // Its session ends: gone from the workers, its unit re-queued; every share the master read is
  // counted in a state (those still in flight are the worker's to send again).
  auto workers = [&] {
    v1::WorkersResponse w;
    FillWorkers(*cluster_, &w);
    return w;
  };
  ASSERT_TRUE(synth::testing::WaitFor([&] { return workers().workers_size() == 1; }, 20000));
  EXPECT_EQ(workers().workers(0).worker_id(), "good");
  v1::StatusResponse st;
  FillStatus(*cluster_, &st);
  EXPECT_EQ(st.shares().found(), proto::SumOfStates(st.shares()));
  EXPECT_GT(st.shares().found(), 16u);  // More than the queue bound: verdicts stopped flowing.
  EXPECT_TRUE(cluster_->Audit().ok());
  // The worker that reads is served as before, and gets the deaf worker's unit next.
  EXPECT_EQ(Lease(good.get()).unit_id(), deaf_unit.unit_id());
  // The deaf stream ends with an error status (RESOURCE_EXHAUSTED when the worker took the
  // message in flight in time, CANCELLED when it did not).
  deaf_ctx.TryCancel();
  EXPECT_FALSE(deaf->Finish().ok());
  good_ctx.TryCancel();
}

}  // namespace
}  // namespace synth::service
