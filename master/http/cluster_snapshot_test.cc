// StartMasterHttp over a real Cluster (fake upstream, fake clock) through ClusterSnapshotFn:
// what synth-master's main.cc wires.
#include <httplib.h>

#include "common/metrics/exposition.h"
#include "gtest/gtest.h"
#include "master/http/master_http.h"
#include "master/jobs/fake_upstream.h"
#include "common/clock.h"
#include "master/service/cluster.h"
#include "nlohmann/json.hpp"

namespace synth::http {
namespace {

class NullSink : public service::StreamSink {
 public:
  void Send(v1::MasterMessage) override {}
  void Close(const absl::Status&) override {}
};

TEST(ClusterSnapshot, MetricsAndStatusShowAConnectedWorker) {
  FakeClock clock;
  jobs::FakeUpstream upstream;
  service::Cluster::Options o;
  o.status_every = absl::ZeroDuration();
  service::Cluster cluster(o, &clock, &upstream);
  NullSink sink;
  v1::Hello hello;
  hello.set_worker_id("w-http");
  hello.set_protocol_version(1);
  v1::DeviceInfo* d = hello.add_devices();
  d->set_name("cpu0");
  d->set_kind(v1::DEVICE_KIND_CPU);
  d->set_benchmarked_rate_hps(5e6);
  ASSERT_TRUE(cluster.Connect(hello, "ipv4:127.0.0.1:1", &sink).ok());

  HttpOptions h;
  h.listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<MasterHttpServer>> s =
      StartMasterHttp(h, ClusterSnapshotFn(&cluster));
  ASSERT_TRUE(s.ok()) << s.status();
  httplib::Client c("127.0.0.1", (*s)->port());
  httplib::Result r = c.Get("/metrics");
  ASSERT_TRUE(r);
  absl::StatusOr<metrics::Exposition> e = metrics::ParseText(r->body);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(metrics::Find(e->samples, "synth_workers", {})->value, 1);
  EXPECT_NE(metrics::Find(e->samples, "synth_hashrate_hashes_per_second",
                          {{"worker", "w-http"}, {"device", "cpu0"}}),
            nullptr);
  EXPECT_EQ(metrics::Find(e->samples, "synth_pool_info", {})->labels.at("url"),
            "stratum+tcp://fake:1");
  r = c.Get("/api/status");
  ASSERT_TRUE(r);
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["workers"][0]["worker_id"], "w-http");
  EXPECT_EQ(j["workers"][0]["devices"][0]["name"], "cpu0");
  (*s)->Shutdown();
  cluster.Shutdown();
}

}  // namespace
}  // namespace synth::http
