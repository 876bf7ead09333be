// What the scheduler tells others, and when: Stats with slow hardware readings (a device whose
// Telemetry() blocks, as NVML can, must not stall the other devices' batches), the rate of a
// device that starts slowly, and the low-water signal the master connection asks for leases on.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "worker/scheduler/fake_device.h"
#include "worker/scheduler/scheduler.h"

namespace synth::worker {
namespace {

// A FakeDevice whose Telemetry() blocks until the test releases it.
class BlockingTelemetryDevice : public FakeDevice {
 public:
  using FakeDevice::FakeDevice;
  DeviceTelemetry Telemetry() const override {
    entered_.Notify();
    release_.WaitForNotification();
    return {.temperature_c = 61};
  }
  absl::Notification& entered() const { return entered_; }
  void Release() { release_.Notify(); }

 private:
  mutable absl::Notification entered_;
  mutable absl::Notification release_;
};

TEST(SchedulerTelemetryTest, ASlowDeviceTelemetryDoesNotStallOtherDevicesBatches) {
  PerThreadFakeClock clock;
  auto blocking = std::make_unique<BlockingTelemetryDevice>(
      "cuda0", FakeDevice::Script{.real_delay = absl::Milliseconds(1)}, DeviceKind::kCuda);
  auto cpu = std::make_unique<FakeDevice>(
      "cpu0", FakeDevice::Script{.real_delay = absl::Milliseconds(1)});
  BlockingTelemetryDevice* slow = blocking.get();
  FakeDevice* fast = cpu.get();
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(blocking));
  devices.push_back(std::move(cpu));
  SchedulerOptions options;
  options.clock = &clock;
  options.initial_cpu_batch = 1 << 12;
  options.initial_cuda_batch = 1 << 12;
  Scheduler sched(std::move(devices), options, {});
  auto work = std::make_shared<hash::ScanWork>();
  work->target.fill(0xffffffff);
  ASSERT_TRUE(sched.AddUnits({WorkUnit{1, "j", 10, work, 0, uint64_t{1} << 32}}).ok());
  sched.Start();

  std::vector<DeviceStats> stats;
  std::thread reader([&] { stats = sched.Stats(); });  // A telemetry tick or a /metrics scrape.
  ASSERT_TRUE(slow->entered().WaitForNotificationWithTimeout(absl::Seconds(10)));
  // While the reading hangs, the other device keeps taking batches.
  size_t before = fast->Batches().size();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (fast->Batches().size() < before + 5 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_GE(fast->Batches().size(), before + 5)
      << "cpu0 stalled while cuda0's telemetry was being read";
  EXPECT_GT(sched.QueuedHashes(), 0u) << "and other callers are not blocked either";
  slow->Release();
  reader.join();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].hardware.temperature_c, 61);
  EXPECT_EQ(stats[1].info.name, "cpu0");
  sched.Stop();
}

// A GPU's start: the calibration Scan timed on a cold context (65,536 hashes in 300 ms), a first
// batch 500 ms slower (the kernel loading), 2 s at half speed (clocks ramping); then 1 GH/s, in
// batches of 500 ms (--batch-ms 500). Once the device has hashed at its steady speed for 2.5 s,
// the rate the scheduler gives the master, the lease sizing and the watchdog is that speed
// within 1%, and its batches are back at the target latency. (A window of the last 30 batches
// would still hold the whole start: about 20% slow.)
TEST(SchedulerTelemetryTest, TheRateIsSteadySoonAfterASlowStart) {
  constexpr double kRate = 1e9;
  PerThreadFakeClock clock;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>(
      "cuda0",
      FakeDevice::Script{.rate_hps = kRate,
                         .first_scan_delay = absl::Milliseconds(500),
                         .warmup_hashes = 1'000'000'000,
                         .warmup_rate_hps = kRate / 2},
      DeviceKind::kCuda));
  SchedulerOptions options;
  options.clock = &clock;
  options.target_batch_latency = absl::Milliseconds(500);
  absl::Notification done;
  SchedulerCallbacks callbacks;
  callbacks.on_unit_done = [&](UnitOutcome) { done.Notify(); };
  Scheduler sched(std::move(devices), options, callbacks);
  sched.AddCalibration(0, 1 << 16, absl::Milliseconds(300));
  auto work = std::make_shared<hash::ScanWork>();
  work->target.fill(0xffffffff);
  // The slow start's 1e9 nonces, then 2.5 s at 1 GH/s.
  ASSERT_TRUE(sched.AddUnits({WorkUnit{1, "j", 10, work, 0, 3'500'000'000}}).ok());
  sched.Start();
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(60)));
  const DeviceStats s = sched.Stats()[0];
  EXPECT_NEAR(s.window.rate_hps, kRate, kRate * 0.01);
  EXPECT_NEAR(static_cast<double>(s.batch_size), kRate * 0.5, kRate * 0.5 * 0.01);
  EXPECT_NEAR(s.window.max_latency_ms, 500, 5);  // The last batch is the unit's rest.
  sched.Stop();
}

TEST(SchedulerLowWaterTest, SignalsOnlyOnceTheQueueFallsBelowTheMark) {
  PerThreadFakeClock clock;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("cpu0", FakeDevice::Script{.rate_hps = 1e7}));
  SchedulerOptions options;
  options.clock = &clock;
  std::atomic<int> signals{0};
  std::atomic<uint64_t> queued_at_first{0};
  Scheduler* self = nullptr;
  SchedulerCallbacks callbacks;
  callbacks.on_low_water = [&] {
    if (signals.fetch_add(1) == 0) queued_at_first = self->QueuedHashes();
  };
  Scheduler sched(std::move(devices), options, callbacks);
  self = &sched;
  sched.AddCalibration(0, 1'000'000, absl::Milliseconds(100));  // 1e7 H/s.
  sched.SetLowWater(absl::Seconds(1));                          // 1e7 nonces.
  auto work = std::make_shared<hash::ScanWork>();
  work->target.fill(0xffffffff);
  // 3 s of work: the first signal comes once less than 1 s (1e7 nonces) is left.
  ASSERT_TRUE(sched.AddUnits({WorkUnit{1, "j", 10, work, 0, 30'000'000}}).ok());
  sched.Start();
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (sched.LiveUnits() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(sched.LiveUnits(), 0u);
  ASSERT_GT(signals.load(), 0);
  EXPECT_LT(queued_at_first.load(), 10'000'000u);
  EXPECT_GT(queued_at_first.load(), 8'000'000u) << "signalled late: one batch is 5e5 nonces";
  // Once per batch while low, never while above: about 20 batches of 5e5 in the last 1e7.
  EXPECT_LE(signals.load(), 25);
  // A cancel that leaves the queue low signals too.
  int before = signals.load();
  ASSERT_TRUE(sched.AddUnits({WorkUnit{2, "j", 20, work, 0, uint64_t{1} << 32}}).ok());
  sched.CancelAll();
  EXPECT_GT(signals.load(), before);
  sched.Stop();
}

TEST(SchedulerLowWaterTest, NoSignalWithoutAMark) {
  PerThreadFakeClock clock;
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("cpu0", FakeDevice::Script{}));
  SchedulerOptions options;
  options.clock = &clock;
  std::atomic<int> signals{0};
  SchedulerCallbacks callbacks;
  callbacks.on_low_water = [&] { ++signals; };
  Scheduler sched(std::move(devices), options, callbacks);
  auto work = std::make_shared<hash::ScanWork>();
  work->target.fill(0xffffffff);
  ASSERT_TRUE(sched.AddUnits({WorkUnit{1, "j", 10, work, 0, 1 << 20}}).ok());
  sched.Start();
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (sched.LiveUnits() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  sched.CancelAll();
  sched.Stop();
  EXPECT_EQ(signals.load(), 0);
}

}  // namespace
}  // namespace synth::worker
