// File: master/service/test_master.h
//
// For the master's gRPC tests: a Cluster fed by a FakeUpstream that has notified one job,
// served by a MasterServer on an ephemeral loopback port.
//
//   TestMaster m;
//   MasterServer::Options so;
//   so.auth.token = "t";
//   ASSERT_TRUE(m.Start(so).ok());
//   auto channel = grpc::CreateChannel(m.address(), grpc::InsecureChannelCredentials());
#ifndef SYNTH_MASTER_SERVICE_TEST_MASTER_H_
#define SYNTH_MASTER_SERVICE_TEST_MASTER_H_

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/test_jobs.h"
#include "master/service/server.h"

namespace synth::service {

struct TestMaster {
  ~TestMaster() {
    if (cluster) cluster->Shutdown();
    if (server) server->Shutdown();
  }

  // Starts the cluster and the server with `options` (listen forced to 127.0.0.1:0).
  absl::Status Start(MasterServer::Options options) {
    Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    cluster = std::make_unique<Cluster>(o, &clock, &upstream);
    upstream.Start([this](const jobs::UpstreamJob& j) { cluster->OnJob(j); });
    upstream.Notify(jobs::TestJob("p1", 1, 1, true));
    options.listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<MasterServer>> s =
        MasterServer::Start(std::move(options), cluster.get());
    if (!s.ok()) return s.status();
    server = *std::move(s);
    return absl::OkStatus();
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", server->port()); }

  RealClock clock;
  jobs::FakeUpstream upstream;
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<MasterServer> server;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_TEST_MASTER_H_
