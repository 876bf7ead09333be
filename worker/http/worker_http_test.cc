#include "worker/http/worker_http.h"

#include <httplib.h>

#include <atomic>

#include "common/metrics/exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::worker {
namespace {

using ::testing::HasSubstr;

WorkerSnapshot Snap(bool connected) {
  WorkerSnapshot s;
  s.worker_id = "rig-1";
  s.uptime_s = 100;
  s.buffered_s = 1.5;
  for (const char* name : {"cpu0", "cuda0"}) {
    DeviceStats d;
    d.info.name = name;
    d.window.rate_hps = 2e6;
    d.window.mean_latency_ms = 40;
    d.hashes_total = 123456789012ULL;
    if (std::string(name) == "cuda0") d.hardware.temperature_c = 61;
    s.devices.push_back(d);
  }
  s.connection.connected = connected;
  s.connection.last_error = "UNAVAILABLE: connection refused";
  s.connection.verdicts = {{"SHARE_STATE_ACCEPTED", 7}, {"SHARE_STATE_HARDWARE_ERROR", 1}};
  return s;
}

TEST(WorkerHttp, MetricsParseWithPerDeviceRatesAndVerdicts) {
  absl::StatusOr<metrics::Exposition> e = metrics::ParseText(RenderWorkerMetrics(Snap(true)));
  ASSERT_TRUE(e.ok()) << e.status();
  const metrics::Sample* rate = metrics::Find(e->samples, "synth_hashrate_hashes_per_second",
                                              {{"worker", "rig-1"}, {"device", "cuda0"}});
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->value, 2e6);
  EXPECT_EQ(metrics::Find(e->samples, "synth_hashes_total", {{"device", "cpu0"}})->value,
            123456789012.0);
  EXPECT_EQ(metrics::Find(e->samples, "synth_shares_total", {{"verdict", "accepted"}})->value, 7);
  EXPECT_EQ(metrics::Find(e->samples, "synth_shares_total", {{"verdict", "hardware_error"}})->value,
            1);
  EXPECT_EQ(metrics::Find(e->samples, "synth_shares_total", {{"verdict", "rejected"}})->value, 0);
  EXPECT_EQ(
      metrics::Find(e->samples, "synth_device_temperature_celsius", {{"device", "cuda0"}})->value,
      61);
  EXPECT_EQ(metrics::Find(e->samples, "synth_device_temperature_celsius", {{"device", "cpu0"}}),
            nullptr);
  EXPECT_EQ(metrics::Find(e->samples, "synth_worker_master_connected", {})->value, 1);
}

TEST(WorkerHttp, HealthNeedsTheMasterAfterGraceAndALiveDevice) {
  EXPECT_TRUE(CheckWorkerHealth(Snap(true), absl::Seconds(30)).ok);
  WorkerHealth down = CheckWorkerHealth(Snap(false), absl::Seconds(30));
  EXPECT_FALSE(down.ok);
  EXPECT_THAT(down.reason, HasSubstr("master disconnected: UNAVAILABLE"));
  EXPECT_TRUE(CheckWorkerHealth(Snap(false), absl::Seconds(300)).ok);  // Still starting.
  WorkerSnapshot dead = Snap(true);
  for (DeviceStats& d : dead.devices) d.disabled = true;
  EXPECT_EQ(CheckWorkerHealth(dead, absl::Seconds(30)).reason, "all devices disabled or hung");
  WorkerSnapshot hung = Snap(true);
  hung.devices[0].disabled = true;
  hung.devices[1].hung = true;  // The watchdog's: the last device is hung.
  EXPECT_FALSE(CheckWorkerHealth(hung, absl::Seconds(30)).ok);
  hung.devices[1].hangs = 3;
  absl::StatusOr<metrics::Exposition> e = metrics::ParseText(RenderWorkerMetrics(hung));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(metrics::Find(e->samples, "synth_device_hung", {{"device", "cuda0"}})->value, 1);
  EXPECT_EQ(metrics::Find(e->samples, "synth_device_hung", {{"device", "cpu0"}})->value, 0);
  EXPECT_EQ(metrics::Find(e->samples, "synth_device_hangs_total", {{"device", "cuda0"}})->value,
            3);
}

TEST(WorkerHttp, ServesMetricsAndHealthzOverLoopback) {
  std::atomic<bool> connected{true};
  absl::StatusOr<std::unique_ptr<WorkerHttpServer>> s =
      StartWorkerHttp("127.0.0.1:0", [&] { return Snap(connected.load()); });
  ASSERT_TRUE(s.ok()) << s.status();
  httplib::Client c("127.0.0.1", (*s)->port());
  httplib::Result r = c.Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(metrics::ParseText(r->body).ok());
  EXPECT_EQ(c.Get("/healthz")->status, 200);
  connected = false;
  r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(c.Get("/api/status")->status, 404);
  (*s)->Shutdown();
  (*s)->Shutdown();
  EXPECT_EQ(StartWorkerHttp("127.0.0.1:0", nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StartWorkerHttp("bad", [] { return WorkerSnapshot{}; }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace synth::worker
