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
    return [this](absl::Duration history) {
      ++calls;
      MasterSnapshot snap;
      // One sample per minute of history asked for (the Cluster keeps one per second).
      for (int64_t m = 0; m < history / absl::Minutes(1); ++m) {
        v1::RateSample* p = snap.status.add_history();
        p->set_unix_s(1.7e9 + 60.0 * m);
        p->set_reported_hps(7e6);
        p->set_verified_hps(6e6);
      }
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
  httplib::Client c("127.0.0.1", s->port());
  httplib::Result r = c.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r->body;
  EXPECT_EQ(j["rates"]["reported_hps"], 7e6);
  ASSERT_EQ(j["history"].size(), 15u);  // HttpOptions::history, 15 minutes by default.
  EXPECT_EQ(j["history"][0][1], 7e6);
  EXPECT_EQ(j["history"][0][2], 6e6);
  // The table of share states, for the dashboard's rows.
  ASSERT_TRUE(j["share_states"].is_array());
  EXPECT_EQ(j["share_states"][0], "accepted");
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

TEST(MasterHttp, ShutdownStopsTheServerAndNothingSamplesInTheBackground) {
  Fake fake;
  std::unique_ptr<MasterHttpServer> s = Start(&fake);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(fake.calls.load(), 0);  // The history is the master's: no sampler of its own.
  httplib::Client c("127.0.0.1", s->port());
  ASSERT_TRUE(c.Get("/healthz"));
  EXPECT_EQ(fake.calls.load(), 1);
  s->Shutdown();
  EXPECT_FALSE(c.Get("/healthz"));
  s->Shutdown();
}

}  // namespace
}  // namespace synth::http
