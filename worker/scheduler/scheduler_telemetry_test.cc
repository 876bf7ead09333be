// Scheduler::Stats and slow hardware readings: a device whose Telemetry() blocks (NVML can take
// milliseconds, more on a busy driver) must not stall the other devices' batches.
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
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

}  // namespace
}  // namespace synth::worker
