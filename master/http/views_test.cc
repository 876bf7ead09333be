#include "master/http/views.h"

#include "common/metrics/exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

MasterSnapshot TwoDeviceSnapshot() {
  MasterSnapshot snap;
  v1::StatusResponse& s = snap.status;
  s.set_master_version("0.1.0");
  s.set_uptime_s(120);
  s.set_pool_url("stratum+tcp://user:secretpass@127.0.0.1:3333");
  s.set_pool_connected(true);
  s.set_pool_difficulty(0.5);
  s.set_workers(1);
  s.set_reported_rate_hps(3e6);
  s.set_verified_rate_hps(2.5e6);
  s.mutable_shares()->set_found(12);
  s.mutable_shares()->set_accepted(10);
  s.mutable_shares()->set_stale(2);
  s.set_coverage_audit("ok");
  v1::WorkerStatus* w = snap.workers.add_workers();
  w->set_worker_id("rig \"1\"");
  w->mutable_shares()->set_accepted(10);
  for (const char* name : {"cpu0", "cuda0"}) {
    v1::DeviceStatus* d = w->add_devices();
    d->set_name(name);
    d->set_reported_rate_hps(1.5e6);
    d->set_batch_latency_ms(50);
  }
  return snap;
}

TEST(Views, MetricsParseAndCarryTheSnapshot) {
  absl::StatusOr<metrics::Exposition> e =
      metrics::ParseText(RenderSnapshotMetrics(TwoDeviceSnapshot()));
  ASSERT_TRUE(e.ok()) << e.status();
  using metrics::Find;
  const metrics::Sample* rate = Find(e->samples, "synth_hashrate_hashes_per_second",
                                     {{"worker", "rig \"1\""}, {"device", "cuda0"}});
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->value, 1.5e6);
  EXPECT_EQ(Find(e->samples, "synth_shares_total", {{"verdict", "accepted"}})->value, 10);
  EXPECT_EQ(Find(e->samples, "synth_shares_total", {{"verdict", "stale"}})->value, 2);
  EXPECT_EQ(Find(e->samples, "synth_pool_up", {})->value, 1);
  EXPECT_EQ(Find(e->samples, "synth_device_batch_latency_seconds", {{"device", "cpu0"}})->value,
            0.05);
  EXPECT_EQ(e->types["synth_shares_total"], "counter");
  EXPECT_EQ(e->types["synth_pool_up"], "gauge");
  EXPECT_EQ(Find(e->samples, "synth_pool_info", {})->labels.at("url"),
            "stratum+tcp://127.0.0.1:3333");
}

TEST(Views, PoolSplitMetricsPerPool) {
  MasterSnapshot snap = TwoDeviceSnapshot();
  using metrics::Find;
  absl::StatusOr<metrics::Exposition> plain = metrics::ParseText(RenderSnapshotMetrics(snap));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(Find(plain->samples, "synth_pool_target_share", {}), nullptr);  // No split.
  snap.pools.set_split(true);
  const char* urls[] = {"stratum+tcp://user:secretpass@a:1", "stratum+tcp://b:2"};
  for (int i = 0; i < 2; ++i) {
    v1::PoolStatus* p = snap.pools.add_pools();
    p->set_index(i);
    p->set_url(urls[i]);
    p->set_split(true);
    p->set_weight(i == 0 ? 70 : 30);
    p->set_live(i == 0);
    p->set_target_share(i == 0 ? 1 : 0);
    p->set_hashes_assigned(1000 * (i + 1));
    p->set_verified_work(4294967296.0 * (i + 1));
    p->set_stratum_miners(3 * i);
    p->set_hashes_downstream(400 * i);
  }
  std::string text = RenderSnapshotMetrics(snap);
  EXPECT_THAT(text, Not(HasSubstr("secretpass")));
  absl::StatusOr<metrics::Exposition> e = metrics::ParseText(text);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(Find(e->samples, "synth_pool_target_share", {{"pool", "stratum+tcp://a:1"}})->value,
            1);
  EXPECT_EQ(Find(e->samples, "synth_pool_live", {{"pool", "stratum+tcp://b:2"}})->value, 0);
  EXPECT_EQ(Find(e->samples, "synth_pool_weight", {{"pool", "stratum+tcp://b:2"}})->value, 30);
  EXPECT_EQ(Find(e->samples, "synth_pool_hashes_assigned_total", {{"pool", "stratum+tcp://b:2"}})
                ->value,
            2000);
  EXPECT_EQ(Find(e->samples, "synth_pool_verified_work_hashes_total",
                 {{"pool", "stratum+tcp://a:1"}})
                ->value,
            4294967296.0);
  EXPECT_EQ(e->types["synth_pool_hashes_assigned_total"], "counter");
  EXPECT_EQ(Find(e->samples, "synth_pool_stratum_miners", {{"pool", "stratum+tcp://b:2"}})->value,
            3);
  EXPECT_EQ(Find(e->samples, "synth_pool_hashes_downstream_total",
                 {{"pool", "stratum+tcp://b:2"}})
                ->value,
            400);
  // /api/status carries the same, for the dashboard; [] without a split.
  nlohmann::json j = StatusJson(snap, Health(snap, absl::Seconds(30)));
  ASSERT_EQ(j["split"].size(), 2u);
  EXPECT_EQ(j["split"][0]["url"], "stratum+tcp://a:1");
  EXPECT_EQ(j["split"][1]["hashes_assigned"], 2000);
  EXPECT_EQ(j["split"][1]["stratum_miners"], 3);
  EXPECT_EQ(j["split"][0]["live"], true);
  EXPECT_TRUE(StatusJson(TwoDeviceSnapshot(), {})["split"].empty());
}

TEST(Views, AHungDeviceIsExported) {
  MasterSnapshot snap = TwoDeviceSnapshot();
  v1::DeviceStatus* gpu = snap.workers.mutable_workers(0)->mutable_devices(1);
  gpu->set_hung(true);
  gpu->set_hangs(2);
  absl::StatusOr<metrics::Exposition> e = metrics::ParseText(RenderSnapshotMetrics(snap));
  ASSERT_TRUE(e.ok()) << e.status();
  using metrics::Find;
  EXPECT_EQ(Find(e->samples, "synth_device_hung", {{"device", "cuda0"}})->value, 1);
  EXPECT_EQ(Find(e->samples, "synth_device_hung", {{"device", "cpu0"}})->value, 0);
  EXPECT_EQ(Find(e->samples, "synth_device_hangs_total", {{"device", "cuda0"}})->value, 2);
  EXPECT_EQ(e->types["synth_device_hangs_total"], "counter");
  nlohmann::json j = StatusJson(snap, Health(snap, absl::Seconds(30)));
  EXPECT_EQ(j["workers"][0]["devices"][1]["hung"], true);
}

TEST(Views, NoSecretsInMetricsOrJson) {
  MasterSnapshot snap = TwoDeviceSnapshot();
  std::string text = RenderSnapshotMetrics(snap);
  std::string json = StatusJson(snap, Health(snap, absl::Seconds(30))).dump();
  EXPECT_THAT(text, Not(HasSubstr("secretpass")));
  EXPECT_THAT(json, Not(HasSubstr("secretpass")));
}

TEST(Views, HealthFollowsPoolAndGrace) {
  MasterSnapshot snap = TwoDeviceSnapshot();
  EXPECT_TRUE(Health(snap, absl::Seconds(30)).ok);
  snap.status.set_pool_connected(false);
  snap.status.set_uptime_s(5);
  HealthVerdict starting = Health(snap, absl::Seconds(30));
  EXPECT_TRUE(starting.ok);
  EXPECT_THAT(starting.reason, HasSubstr("starting"));
  snap.status.set_uptime_s(60);
  HealthVerdict down = Health(snap, absl::Seconds(30));
  EXPECT_FALSE(down.ok);
  EXPECT_EQ(down.reason, "pool disconnected: stratum+tcp://127.0.0.1:3333");
  snap.serving = false;
  snap.status.set_pool_connected(true);
  EXPECT_FALSE(Health(snap, absl::Seconds(30)).ok);
}

TEST(Views, StatusJsonHasWorkersDevicesSharesAndHistory) {
  MasterSnapshot snap = TwoDeviceSnapshot();
  v1::RateSample* p = snap.status.add_history();
  p->set_unix_s(1700000000);
  p->set_reported_hps(1);
  p->set_verified_hps(2);
  nlohmann::json j = StatusJson(snap, Health(snap, absl::Seconds(30)));
  EXPECT_EQ(j["workers"][0]["worker_id"], "rig \"1\"");
  EXPECT_EQ(j["workers"][0]["devices"].size(), 2u);
  EXPECT_EQ(j["shares"]["accepted"], 10);
  EXPECT_EQ(j["pool"]["connected"], true);
  EXPECT_EQ(j["rates"]["reported_hps"], 3e6);
  EXPECT_EQ(j["history"][0][2], 2);
  EXPECT_EQ(j["health"]["ok"], true);
}

TEST(Views, RedactUrlStripsUserInfoOnly) {
  EXPECT_EQ(RedactUrl("stratum+tcp://a:b@h:1"), "stratum+tcp://h:1");
  EXPECT_EQ(RedactUrl("stratum+tcp://h:1"), "stratum+tcp://h:1");
  EXPECT_EQ(RedactUrl("synthetic://x/y@z"), "synthetic://x/y@z");
  EXPECT_EQ(RedactUrl(""), "");
}

}  // namespace
}  // namespace synth::http
