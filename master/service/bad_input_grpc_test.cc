// Bad input from workers over real gRPC (docs/RELIABILITY.md): a message over the 4 MiB receive cap, bytes
// that are no WorkerMessage, and a share flood each get a clear answer on the offending stream
// only; the master keeps serving everyone else and the offender can reconnect.
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
#include "synth/v1/worker.grpc.pb.h"

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
    absl::StatusOr<std::unique_ptr<MasterServer>> s =
        MasterServer::Start("127.0.0.1:0", cluster_.get(), "");
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    stub_ = v1::WorkerService::NewStub(channel_);
  }
  void TearDown() override {
    cluster_->Shutdown();
    server_->Shutdown();
  }
  // Opens a stream for `id` and reads its Welcome.
  std::unique_ptr<Stream> Join(grpc::ClientContext* ctx, const std::string& id) {
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    std::unique_ptr<Stream> s = stub_->Connect(ctx);
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
  EXPECT_EQ(status.shares().found(),
            status.shares().rate_limited() + status.shares().hardware_error() +
                status.shares().below_target() + status.shares().accepted() +
                status.shares().duplicate());
  v1::WorkersResponse w;
  FillWorkers(*cluster_, &w);
  for (const v1::WorkerStatus& ws : w.workers()) {
    EXPECT_EQ(ws.rate_limited(), ws.worker_id() == "flood") << ws.worker_id();
    if (ws.worker_id() == "flood") EXPECT_TRUE(ws.flagged());
  }
  flood_ctx.TryCancel();
  good_ctx.TryCancel();
}

}  // namespace
}  // namespace synth::service
