// In-process gRPC test: a real MasterServer on loopback and a fake worker client speaking the
// protocol with the synchronous stub.
#include <memory>

#include "common/hash/scan.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/test_jobs.h"
#include "master/service/server.h"
#include "master/service/status_views.h"
#include "proto/midstate_codec.h"
#include "synth/v1/control.grpc.pb.h"
#include "synth/v1/worker.grpc.pb.h"

namespace synth::service {
namespace {

constexpr double kEasy = 65535.0 / 68719476736.0;  // One nonce in 4096 is a share.

class GrpcTest : public ::testing::Test {
 protected:
  void StartMaster(const std::string& token) {
    Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    cluster_ = std::make_unique<Cluster>(o, &clock_, &upstream_);
    upstream_.Start([this](const jobs::UpstreamJob& j) { cluster_->OnJob(j); });
    absl::StatusOr<std::unique_ptr<MasterServer>> s =
        MasterServer::Start("127.0.0.1:0", cluster_.get(), token);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
  }
  void TearDown() override {
    if (cluster_) cluster_->Shutdown();
    if (server_) server_->Shutdown();
  }

  RealClock clock_;
  jobs::FakeUpstream upstream_;
  std::unique_ptr<Cluster> cluster_;
  std::unique_ptr<MasterServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

v1::WorkerMessage Hello() {
  v1::WorkerMessage m;
  m.mutable_hello()->set_worker_id("fake-1");
  m.mutable_hello()->set_protocol_version(1);
  v1::DeviceInfo* d = m.mutable_hello()->add_devices();
  d->set_name("cpu0");
  d->set_benchmarked_rate_hps(1e6);
  return m;
}

TEST_F(GrpcTest, FakeWorkerHashesAndGetsAnAcceptedVerdict) {
  StartMaster("");
  upstream_.Notify(jobs::TestJob("p1", 1, kEasy, true));
  auto stub = v1::WorkerService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  v1::MasterMessage in;
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_TRUE(in.has_welcome());
  v1::WorkerMessage req;
  req.mutable_lease_request()->set_hashes_wanted(1 << 20);
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_TRUE(in.has_lease_grant());
  const v1::WorkUnit unit = in.lease_grant().units(0);  // A copy: `in` is reused.
  hash::ScanWork work = *proto::DecodeScanWork(in.lease_grant().midstates(0));
  std::vector<uint32_t> found;
  for (uint32_t n = unit.nonce_start(); found.size() < 3; ++n) {
    if (hash::MeetsTarget(hash::HashNonce(work, n), work.target)) found.push_back(n);
  }
  for (size_t i = 0; i < found.size(); ++i) {
    v1::WorkerMessage share;
    share.mutable_share()->set_share_id(i + 1);
    share.mutable_share()->set_unit_id(unit.unit_id());
    share.mutable_share()->set_midstate_id(unit.midstate_id());
    share.mutable_share()->set_job_id(unit.job_id());
    share.mutable_share()->set_nonce(found[i]);
    share.mutable_share()->set_device("cpu0");
    ASSERT_TRUE(stream->Write(share));
  }
  for (size_t i = 0; i < found.size(); ++i) {
    ASSERT_TRUE(stream->Read(&in));
    ASSERT_TRUE(in.has_share_verdict());
    EXPECT_EQ(in.share_verdict().state(), v1::SHARE_STATE_ACCEPTED);
  }
  v1::WorkerMessage progress;
  v1::UnitProgress* p = progress.mutable_progress()->add_units();
  p->set_unit_id(unit.unit_id());
  p->set_state(v1::UNIT_STATE_COMPLETED);
  ASSERT_TRUE(stream->Write(progress));
  // The control service sees the worker and the shares.
  auto control = v1::ControlService::NewStub(channel_);
  grpc::ClientContext cctx;
  v1::StatusResponse status;
  ASSERT_TRUE(control->Status(&cctx, v1::StatusRequest(), &status).ok());
  EXPECT_EQ(status.workers(), 1u);
  EXPECT_EQ(status.shares().accepted(), 3u);
  EXPECT_EQ(status.coverage_audit(), "ok");
  EXPECT_EQ(upstream_.submitted().size(), 3u);
  stream->WritesDone();
  while (stream->Read(&in)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(cluster_->Audit().ok());
}

TEST_F(GrpcTest, CleanJobReachesTheWorkerAsCancelThenGrant) {
  StartMaster("");
  upstream_.Notify(jobs::TestJob("p1", 1, 1, true));
  auto stub = v1::WorkerService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Connect(&ctx);
  ASSERT_TRUE(stream->Write(Hello()));
  v1::MasterMessage in;
  ASSERT_TRUE(stream->Read(&in));
  v1::WorkerMessage req;
  req.mutable_lease_request();
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_TRUE(in.has_lease_grant());
  upstream_.Notify(jobs::TestJob("p2", 2, 1, true));
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_TRUE(in.has_cancel());
  EXPECT_TRUE(in.cancel().all());
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_TRUE(in.has_lease_grant());
  EXPECT_NE(in.lease_grant().units(0).job_id().find("p2"), std::string::npos);
  ctx.TryCancel();
}

TEST_F(GrpcTest, WrongTokenIsUnauthenticated) {
  StartMaster("s3cret");
  auto stub = v1::WorkerService::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer nope");
  auto stream = stub->Connect(&ctx);
  stream->Write(Hello());
  v1::MasterMessage in;
  EXPECT_FALSE(stream->Read(&in));
  grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(s.error_message().find("s3cret"), std::string::npos);

  auto control = v1::ControlService::NewStub(channel_);
  grpc::ClientContext good;
  good.AddMetadata("authorization", "Bearer s3cret");
  v1::StatusResponse status;
  EXPECT_TRUE(control->Status(&good, v1::StatusRequest(), &status).ok());
  grpc::ClientContext none;
  EXPECT_EQ(control->Status(&none, v1::StatusRequest(), &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(GrpcTest, FirstMessageMustBeHello) {
  StartMaster("");
  auto stub = v1::WorkerService::NewStub(channel_);
  grpc::ClientContext ctx;
  auto stream = stub->Connect(&ctx);
  v1::WorkerMessage req;
  req.mutable_lease_request();
  stream->Write(req);
  v1::MasterMessage in;
  EXPECT_FALSE(stream->Read(&in));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace synth::service

namespace synth::service {
namespace {

TEST_F(GrpcTest, SecondStreamOfTheSameWorkerReplacesTheFirst) {
  StartMaster("");
  auto stub = v1::WorkerService::NewStub(channel_);
  grpc::ClientContext ctx1, ctx2;
  auto s1 = stub->Connect(&ctx1);
  ASSERT_TRUE(s1->Write(Hello()));
  v1::MasterMessage in;
  ASSERT_TRUE(s1->Read(&in));
  ASSERT_TRUE(in.has_welcome());
  auto s2 = stub->Connect(&ctx2);
  ASSERT_TRUE(s2->Write(Hello()));
  ASSERT_TRUE(s2->Read(&in));
  ASSERT_TRUE(in.has_welcome());
  EXPECT_FALSE(s1->Read(&in));  // The old stream is closed by the master...
  EXPECT_EQ(s1->Finish().error_code(), grpc::StatusCode::ABORTED);
  v1::WorkersResponse w;
  FillWorkers(*cluster_, &w);
  EXPECT_EQ(w.workers_size(), 1);  // ...and the new one is the worker.
  cluster_->Shutdown();            // Shutdown cancels and closes the live one.
  bool saw_cancel = false;
  while (s2->Read(&in)) saw_cancel |= in.has_cancel() && in.cancel().all();
  EXPECT_TRUE(saw_cancel);
  EXPECT_EQ(s2->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace synth::service
