#include "master/http/master_http.h"

#include <httplib.h>

#include <atomic>

#include "common/metrics/exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace synth::http {
namespace {

using ::testing::HasSubstr;

struct Fake {
  std::atomic<bool> pool_up{true};
  std::atomic<int> calls{0};
  SnapshotFn Fn() {
    return [this] {
      ++calls;
      MasterSnapshot snap;
      snap.status.set_pool_connected(pool_up.load());
      snap.status.set_uptime_s(100);
      snap.status.set_reported_rate_hps(7e6);
      v1::WorkerStatus* w = snap.workers.add_workers();
      w->set_worker_id(std::string("bad\xff utf8"));
      w->add_devices()->set_name("cpu0");
      return snap;
    };
  }
};

std::unique_ptr<MasterHttpServer> Start(Fake* fake, MasterHistograms* histograms = nullptr) {
  HttpOptions o;
  o.histograms = histograms;
  o.listen = "127.0.0.1:0";
  o.sample_every = absl::Milliseconds(10);
  absl::StatusOr<std::unique_ptr<MasterHttpServer>> s = StartMasterHttp(o, fake->Fn());
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *std::move(s) : nullptr;
}

TEST(MasterHttp, MetricsParseWithSnapshotAndHistograms) {
  Fake fake;
  MasterHistograms histograms;  // Created before the server, as main.cc does for the Cluster.
  histograms.lease_duration().Observe(4);
  std::unique_ptr<MasterHttpServer> s = Start(&fake, &histograms);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(&s->histograms(), &histograms);
  histograms.job_switch().Observe(0.003);
  httplib::Client c("127.0.0.1", s->port());
  httplib::Result r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("version=0.0.4"));
  absl::StatusOr<metrics::Exposition> e = metrics::ParseText(r->body);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(metrics::Find(e->samples, "synth_pool_up", {})->value, 1);
  EXPECT_EQ(metrics::Find(e->samples, "synth_healthy", {})->value, 1);
  EXPECT_EQ(metrics::Find(e->samples, "synth_lease_duration_seconds_count", {})->value, 1);
  EXPECT_EQ(e->types["synth_job_switch_seconds"], "histogram");
  EXPECT_EQ(metrics::Find(e->samples, "synth_job_switch_seconds_bucket", {{"le", "0.004"}})->value,
            1);
  EXPECT_EQ(metrics::Find(e->samples, "synth_job_switch_seconds_bucket", {{"le", "0.002"}})->value,
            0);
  EXPECT_NE(metrics::Find(e->samples, "synth_hashrate_hashes_per_second", {{"device", "cpu0"}}),
            nullptr);
}

TEST(MasterHttp, HealthzFollowsThePool) {
  Fake fake;
  std::unique_ptr<MasterHttpServer> s = Start(&fake);
  ASSERT_NE(s, nullptr);
  httplib::Client c("127.0.0.1", s->port());
  httplib::Result r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  fake.pool_up = false;
  r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_THAT(r->body, HasSubstr("pool disconnected"));
}

TEST(MasterHttp, ApiStatusIsJsonWithHistoryAndDashboardIsServed) {
  Fake fake;
  std::unique_ptr<MasterHttpServer> s = Start(&fake);
  ASSERT_NE(s, nullptr);
  s->Sample();
  httplib::Client c("127.0.0.1", s->port());
  httplib::Result r = c.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r->body;
  EXPECT_EQ(j["rates"]["reported_hps"], 7e6);
  EXPECT_GE(j["history"].size(), 1u);
  EXPECT_EQ(j["workers"].size(), 1u);  // Invalid UTF-8 in the id was replaced, not thrown.
  r = c.Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("id=\"rate-chart\""));
  EXPECT_THAT(r->body, HasSubstr("/api/status"));
  EXPECT_EQ(c.Get("/nope")->status, 404);
}

TEST(MasterHttp, BadOptionsAreErrors) {
  Fake fake;
  HttpOptions o;
  o.listen = "not-an-address";
  EXPECT_EQ(StartMasterHttp(o, fake.Fn()).status().code(), absl::StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:0";
  EXPECT_EQ(StartMasterHttp(o, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MasterHttp, ShutdownStopsSamplerAndServer) {
  Fake fake;
  std::unique_ptr<MasterHttpServer> s = Start(&fake);
  ASSERT_NE(s, nullptr);
  s->Shutdown();
  int calls = fake.calls.load();
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(fake.calls.load(), calls);
  s->Shutdown();
}

}  // namespace
}  // namespace synth::http
