#include "worker/scheduler/scheduler.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/scheduler/fake_device.h"

namespace synth::worker {
namespace {

using ::testing::Each;
using ::testing::Field;
using ::testing::HasSubstr;

// Any hash meets this target, so every scripted nonce verifies.
std::shared_ptr<const hash::ScanWork> EasyWork() {
  auto work = std::make_shared<hash::ScanWork>();
  work->target.fill(0xffffffff);
  return work;
}

WorkUnit Unit(uint64_t id, std::string job, uint32_t start, uint64_t count,
              std::shared_ptr<const hash::ScanWork> work = EasyWork()) {
  return WorkUnit{id, std::move(job), id * 10, std::move(work), start, count};
}

// Collects callbacks; WaitForOutcomes blocks (real time, bounded) until n units ended.
class Sink {
 public:
  SchedulerCallbacks Callbacks() {
    return {.on_share = [this](FoundShare s) {
              absl::MutexLock lock(&mu_);
              events_.push_back("share " + std::to_string(s.unit_id));
              shares_.push_back(std::move(s));
            },
            .on_unit_done = [this](UnitOutcome o) {
              absl::MutexLock lock(&mu_);
              events_.push_back("done " + std::to_string(o.unit_id));
              outcomes_.push_back(std::move(o));
            }};
  }
  bool WaitForOutcomes(size_t n, absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return outcomes_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }
  std::vector<UnitOutcome> Outcomes() {
    absl::MutexLock lock(&mu_);
    return outcomes_;
  }
  std::vector<FoundShare> Shares() {
    absl::MutexLock lock(&mu_);
    return shares_;
  }
  std::vector<std::string> Events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  absl::Mutex mu_;
  std::vector<UnitOutcome> outcomes_ ABSL_GUARDED_BY(mu_);
  std::vector<FoundShare> shares_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
};

PerThreadFakeClock* TestClock() {
  static PerThreadFakeClock clock;
  return &clock;
}

SchedulerOptions FastOptions() {
  SchedulerOptions options;
  options.clock = TestClock();
  options.error_backoff = absl::Milliseconds(1);
  return options;
}

TEST(SchedulerTest, EveryNonceIsHashedExactlyOnceAcrossDevices) {
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<FakeDevice*> spies;
  for (double rate : {1e7, 3e6}) {
    // 1 ms of real time per Scan (~100 Scans): on a loaded machine the second device thread
    // still gets scheduled before the first has taken every unit.
    auto d = std::make_unique<FakeDevice>(
        "cpu" + std::to_string(spies.size()),
        FakeDevice::Script{.rate_hps = rate, .real_delay = absl::Milliseconds(1)});
    spies.push_back(d.get());
    devices.push_back(std::move(d));
  }
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  std::vector<WorkUnit> units;
  const uint64_t kUnit = 3'000'017;  // Not a multiple of any batch size.
  for (uint64_t i = 0; i < 12; ++i) units.push_back(Unit(i + 1, "j", i * kUnit, kUnit));
  ASSERT_TRUE(sched.AddUnits(units).ok());
  sched.Start();
  ASSERT_TRUE(sink.WaitForOutcomes(12));
  EXPECT_THAT(sink.Outcomes(), Each(Field(&UnitOutcome::state, UnitState::kCompleted)));
  EXPECT_THAT(sink.Outcomes(), Each(Field(&UnitOutcome::hashes_done, kUnit)));
  std::vector<std::pair<uint64_t, uint64_t>> all;
  for (FakeDevice* d : spies) {
    auto b = d->Batches();
    EXPECT_FALSE(b.empty()) << d->Info().name << " never pulled work";
    all.insert(all.end(), b.begin(), b.end());
  }
  std::sort(all.begin(), all.end());
  uint64_t next = 0;
  for (auto [start, n] : all) {
    ASSERT_EQ(start, next) << "gap or overlap";
    next = start + n;
  }
  EXPECT_EQ(next, 12 * kUnit);
  EXPECT_EQ(sched.LiveUnits(), 0u);
  EXPECT_EQ(sched.QueuedHashes(), 0u);
}

TEST(SchedulerTest, EachDeviceBatchConvergesToItsTargetLatency) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("fast", FakeDevice::Script{.rate_hps = 2e7}));
  devices.push_back(std::make_unique<FakeDevice>("slow", FakeDevice::Script{.rate_hps = 1e6}));
  Sink sink;
  SchedulerOptions options = FastOptions();
  options.target_batch_latency = absl::Milliseconds(100);
  Scheduler sched(std::move(devices), options, sink.Callbacks());
  // More work than the test lasts (256 full nonce ranges, about 550,000 fast batches): each
  // device thread batches at its own pace, however the machine schedules the two threads; wait
  // (bounded) until both telemetry windows hold converged batches only (they cover 2 s of
  // busy time: 20 batches of 100 ms).
  std::vector<WorkUnit> units;
  for (uint64_t i = 1; i <= 256; ++i) units.push_back(Unit(i, "j", 0, uint64_t{1} << 32));
  ASSERT_TRUE(sched.AddUnits(units).ok());
  sched.Start();
  auto converged = [&] {
    for (const DeviceStats& s : sched.Stats()) {
      double target = (s.info.name == "fast" ? 2e7 : 1e6) * 0.1;
      if (s.window.busy_s < 1.99 ||
          std::abs(static_cast<double>(s.batch_size) - target) > target * 0.01 ||
          std::abs(s.window.max_latency_ms - 100) > 1) {
        return false;
      }
    }
    return true;
  };
  absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!converged() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  for (const DeviceStats& s : sched.Stats()) {
    double rate = s.info.name == "fast" ? 2e7 : 1e6;
    EXPECT_NEAR(static_cast<double>(s.batch_size), rate * 0.1, rate * 0.1 * 0.01)
        << s.info.name;
    EXPECT_NEAR(s.window.rate_hps, rate, rate * 0.01) << s.info.name;
    EXPECT_NEAR(s.window.busy_s, 2.0, 0.11) << s.info.name;
    EXPECT_NEAR(s.window.max_latency_ms, 100, 1) << s.info.name;
  }
  EXPECT_NEAR(sched.Rate(), 2.1e7, 2.1e5);
}

TEST(SchedulerTest, CancelStopsInFlightScanAndDropsQueuedUnitsAtOnce) {
  std::vector<std::unique_ptr<Device>> devices;
  auto d = std::make_unique<FakeDevice>("cpu0", FakeDevice::Script{.real_chunk = 1000});
  FakeDevice* spy = d.get();
  devices.push_back(std::move(d));
  Sink sink;
  SchedulerOptions options = FastOptions();
  options.initial_cpu_batch = uint64_t{1} << 30;  // Minutes of real time: only a cancel ends it.
  options.clock = RealClock::Get();
  Scheduler sched(std::move(devices), options, sink.Callbacks());
  std::vector<WorkUnit> units;
  for (uint64_t i = 1; i <= 5; ++i) units.push_back(Unit(i, "old", 0, uint64_t{1} << 31));
  units.push_back(Unit(6, "new", 0, 5000));
  ASSERT_TRUE(sched.AddUnits(units).ok());
  sched.Start();
  for (int i = 0; i < 2000 && !spy->Scanning(); ++i) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_TRUE(spy->Scanning());
  absl::Time t0 = absl::Now();
  EXPECT_EQ(sched.CancelJobs({"old"}), 5);
  // Queued units end inside CancelJobs itself.
  EXPECT_EQ(sink.Outcomes().size(), 4u);
  ASSERT_TRUE(sink.WaitForOutcomes(5));
  absl::Duration latency = absl::Now() - t0;
  EXPECT_LT(latency, absl::Milliseconds(100)) << "cancel took " << latency;
  ASSERT_TRUE(sink.WaitForOutcomes(6));
  std::map<uint64_t, UnitState> states;
  for (const UnitOutcome& o : sink.Outcomes()) states[o.unit_id] = o.state;
  for (uint64_t i = 1; i <= 5; ++i) EXPECT_EQ(states[i], UnitState::kCancelled) << i;
  EXPECT_EQ(states[6], UnitState::kCompleted);
  EXPECT_EQ(sched.CancelJobs({"old"}), 0) << "cancelled twice";
}

// A work that any hash meets, told apart by midstate word 0; `tail` picks its version group.
std::shared_ptr<const hash::ScanWork> SiblingWork(uint32_t midstate0, uint8_t tail) {
  auto work = std::make_shared<hash::ScanWork>();
  work->target.fill(0xffffffff);
  work->midstate[0] = midstate0;
  work->tail.fill(tail);
  return work;
}

// Checks that each midstate's scanned ranges tile [0, count) once.
void ExpectTiled(const std::vector<FakeDevice::Scanned>& scanned,
                 const std::map<uint32_t, uint64_t>& counts) {
  std::map<uint32_t, std::vector<std::pair<uint64_t, uint64_t>>> by_mid;
  for (const auto& s : scanned) {
    if (s.hashed > 0) by_mid[s.midstate0].emplace_back(s.start, s.hashed);
  }
  for (const auto& [mid, count] : counts) {
    auto& ranges = by_mid[mid];
    std::sort(ranges.begin(), ranges.end());
    uint64_t next = 0;
    for (auto [start, n] : ranges) {
      EXPECT_EQ(start, next) << "midstate " << mid << ": gap or overlap";
      next = start + n;
    }
    EXPECT_EQ(next, count) << "midstate " << mid;
  }
}

TEST(SchedulerTest, SiblingUnitsShareOneScanOnALockstepDevice) {
  std::vector<std::unique_ptr<Device>> devices;
  auto d = std::make_unique<FakeDevice>(
      "cuda0", FakeDevice::Script{.rate_hps = 1e9, .share_every = 1 << 20, .max_works = 4},
      DeviceKind::kCuda);
  FakeDevice* spy = d.get();
  devices.push_back(std::move(d));
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  const uint64_t kCount = 1 << 22;
  std::vector<WorkUnit> units;
  // Units 1..4: one version group; 5..7: another (three: a pair and a single); 8: alone.
  for (uint32_t i = 1; i <= 8; ++i) {
    uint8_t tail = i <= 4 ? 1 : i <= 7 ? 2 : 3;
    units.push_back(Unit(i, "j", 0, kCount, SiblingWork(i, tail)));
  }
  ASSERT_TRUE(sched.AddUnits(units).ok());
  sched.Start();
  ASSERT_TRUE(sink.WaitForOutcomes(8));
  EXPECT_THAT(sink.Outcomes(), Each(Field(&UnitOutcome::state, UnitState::kCompleted)));
  EXPECT_THAT(sink.Outcomes(), Each(Field(&UnitOutcome::hashes_done, kCount)));
  std::vector<size_t> sizes = spy->GroupSizes();
  EXPECT_NE(std::find(sizes.begin(), sizes.end(), 4u), sizes.end());
  EXPECT_NE(std::find(sizes.begin(), sizes.end(), 2u), sizes.end());
  EXPECT_THAT(sizes, Each(::testing::AnyOf(1u, 2u, 4u)));
  std::map<uint32_t, uint64_t> counts;
  for (uint32_t i = 1; i <= 8; ++i) counts[i] = kCount;
  ExpectTiled(spy->ScannedWorks(), counts);
  // Every share is credited to its own unit.
  std::map<uint64_t, std::set<uint32_t>> shares;
  for (const FoundShare& s : sink.Shares()) {
    EXPECT_TRUE(shares[s.unit_id].insert(s.nonce).second) << "duplicate share";
    EXPECT_EQ(s.midstate_id, s.unit_id * 10);
  }
  for (uint64_t i = 1; i <= 8; ++i) {
    EXPECT_EQ(shares[i], (std::set<uint32_t>{0, 1 << 20, 2 << 20, 3 << 20})) << "unit " << i;
  }
  EXPECT_EQ(sched.Stats()[0].hashes_total, 8 * kCount);
}

TEST(SchedulerTest, BatchesComeInMultiplesOfTheDevicesWaveUntilTheRangeEnds) {
  constexpr uint64_t kWave = 10'000;
  std::vector<std::unique_ptr<Device>> devices;
  auto d = std::make_unique<FakeDevice>(
      "cuda0", FakeDevice::Script{.rate_hps = 1e9, .multiple = kWave}, DeviceKind::kCuda);
  FakeDevice* spy = d.get();
  devices.push_back(std::move(d));
  Sink sink;
  SchedulerOptions options = FastOptions();
  options.initial_cuda_batch = 123'456;                    // Neither is a multiple of kWave.
  options.target_batch_latency = absl::Microseconds(123);  // ~123'000 nonces at 1 GH/s.
  Scheduler sched(std::move(devices), options, sink.Callbacks());
  const uint64_t kCount = 1'000'003;
  ASSERT_TRUE(sched.AddUnits({Unit(1, "j", 5, kCount)}).ok());
  sched.Start();
  ASSERT_TRUE(sink.WaitForOutcomes(1));
  EXPECT_EQ(sink.Outcomes()[0].hashes_done, kCount);
  const std::vector<std::pair<uint64_t, uint64_t>> batches = spy->Batches();
  ASSERT_GE(batches.size(), 3u);
  uint64_t next = 5;
  for (size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(batches[i].first, next) << "batch " << i;
    next += batches[i].second;
    // Every batch but the one that ends the unit's range is whole waves.
    if (i + 1 < batches.size()) {
      EXPECT_EQ(batches[i].second % kWave, 0u) << "batch " << i << " of " << batches[i].second;
    }
  }
  EXPECT_EQ(next, 5 + kCount);
}

TEST(SchedulerTest, CancellingOneSiblingInFlightLetsTheOthersFinish) {
  std::vector<std::unique_ptr<Device>> devices;
  auto d = std::make_unique<FakeDevice>(
      "cuda0",
      FakeDevice::Script{.real_chunk = 1000, .per_thread_clock = false, .max_works = 4},
      DeviceKind::kCuda);
  FakeDevice* spy = d.get();
  devices.push_back(std::move(d));
  Sink sink;
  SchedulerOptions options = FastOptions();
  options.clock = RealClock::Get();
  options.initial_cuda_batch = uint64_t{1} << 30;  // One Scan covers every unit.
  Scheduler sched(std::move(devices), options, sink.Callbacks());
  const uint64_t kCount = 300'000;  // 300 ms of real time per Scan.
  std::vector<WorkUnit> units;
  for (uint32_t i = 1; i <= 4; ++i) units.push_back(Unit(i, "j", 0, kCount, SiblingWork(i, 1)));
  ASSERT_TRUE(sched.AddUnits(units).ok());
  sched.Start();
  for (int i = 0; i < 2000 && !spy->Scanning(); ++i) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_TRUE(spy->Scanning());
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_EQ(sched.CancelUnits({2}), 1);
  ASSERT_TRUE(sink.WaitForOutcomes(4));
  std::map<uint64_t, UnitOutcome> out;
  for (const UnitOutcome& o : sink.Outcomes()) out[o.unit_id] = o;
  EXPECT_EQ(out[2].state, UnitState::kCancelled);
  EXPECT_LT(out[2].hashes_done, kCount);
  for (uint64_t i : {1, 3, 4}) {
    EXPECT_EQ(out[i].state, UnitState::kCompleted) << i;
    EXPECT_EQ(out[i].hashes_done, kCount) << i;
  }
  ASSERT_EQ(spy->GroupSizes().front(), 4u);
  ExpectTiled(spy->ScannedWorks(), {{1, kCount}, {3, kCount}, {4, kCount}});
  EXPECT_EQ(sched.LiveUnits(), 0u);
  EXPECT_EQ(sched.QueuedHashes(), 0u);
}

TEST(SchedulerTest, SharesAreForwardedBeforeTheirUnitEnds) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>(
      "cpu0", FakeDevice::Script{.rate_hps = 1e7, .share_every = 1 << 20}));
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  ASSERT_TRUE(sched.AddUnits({Unit(7, "job-a", 0, 1 << 22)}).ok());
  sched.Start();
  ASSERT_TRUE(sink.WaitForOutcomes(1));
  std::vector<FoundShare> shares = sink.Shares();
  ASSERT_EQ(shares.size(), 4u);
  for (size_t i = 0; i < shares.size(); ++i) {
    EXPECT_EQ(shares[i].nonce, i << 20);
    EXPECT_EQ(shares[i].unit_id, 7u);
    EXPECT_EQ(shares[i].job_id, "job-a");
    EXPECT_EQ(shares[i].midstate_id, 70u);
    EXPECT_EQ(shares[i].device, "cpu0");
  }
  EXPECT_EQ(sink.Events().back(), "done 7");
  EXPECT_EQ(sched.Stats()[0].shares_total, 4u);
}

TEST(SchedulerTest, ReportsTheFirstBatchOfEachNewJobOnce) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("cpu0", FakeDevice::Script{}));
  Sink sink;
  SchedulerCallbacks callbacks = sink.Callbacks();
  absl::Mutex mu;
  std::vector<std::string> started;
  callbacks.on_job_started = [&](const std::string& job, const std::string& device, absl::Time) {
    absl::MutexLock lock(&mu);
    started.push_back(job + "@" + device);
  };
  Scheduler sched(std::move(devices), FastOptions(), callbacks);
  ASSERT_TRUE(sched.AddUnits({Unit(1, "a", 0, 1 << 20), Unit(2, "a", 0, 1 << 20),
                              Unit(3, "b", 0, 1 << 20), Unit(4, "a", 1 << 20, 1 << 20)})
                  .ok());
  sched.Start();
  ASSERT_TRUE(sink.WaitForOutcomes(4));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(started, (std::vector<std::string>{"a@cpu0", "b@cpu0"}));
}

TEST(SchedulerTest, NonceFailingVerificationIsAnErrorNotAShare) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>(
      "cpu0", FakeDevice::Script{.rate_hps = 1e7, .share_every = 1 << 10}));
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  auto hard = std::make_shared<hash::ScanWork>();  // Target 0: no real hash meets it.
  ASSERT_TRUE(sched.AddUnits({Unit(1, "j", 0, 1 << 11, hard)}).ok());
  sched.Start();
  ASSERT_TRUE(sink.WaitForOutcomes(1));
  EXPECT_TRUE(sink.Shares().empty());
  EXPECT_EQ(sched.Stats()[0].errors_total, 2u);
  EXPECT_EQ(sched.Stats()[0].window.errors, 1u);
}

TEST(SchedulerTest, StopReturnsEveryUnfinishedUnit) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("cpu0", FakeDevice::Script{.real_chunk = 10}));
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  ASSERT_TRUE(sched.AddUnits({Unit(1, "j", 0, 1 << 20), Unit(2, "j", 0, 1 << 20),
                              Unit(3, "j", 0, 1 << 20)})
                  .ok());
  sched.Start();
  absl::SleepFor(absl::Milliseconds(20));
  sched.Stop();
  std::vector<UnitOutcome> out = sink.Outcomes();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_THAT(out, Each(Field(&UnitOutcome::state, UnitState::kReturned)));
  EXPECT_EQ(sched.LiveUnits(), 0u);
  EXPECT_FALSE(sched.AddUnits({Unit(4, "j", 0, 1)}).ok()) << "accepted work after Stop";
}

TEST(SchedulerTest, BadUnitsAreRejectedWithAClearErrorAndGoodOnesKept) {
  Sink sink;
  Scheduler sched({}, FastOptions(), sink.Callbacks());
  absl::Status status = sched.AddUnits({Unit(1, "j", 0, 100), Unit(2, "j", 0, 0),
                                        Unit(3, "j", 0xffffff00u, 0x101), Unit(1, "j", 0, 5),
                                        Unit(4, "j", 0, 10, nullptr), Unit(5, "j", 0, 50)});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("2,3,1,4"));
  EXPECT_EQ(sched.LiveUnits(), 2u);
  EXPECT_EQ(sched.QueuedHashes(), 150u);
  EXPECT_EQ(sched.BufferedTime(), absl::InfiniteDuration()) << "no rate measured yet";
  sched.Stop();
  EXPECT_EQ(sink.Outcomes().size(), 2u);
}

TEST(SchedulerTest, FailingDeviceIsDisabledAndItsUnitIsReturnedNotLost) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("bad", FakeDevice::Script{.fail_always = true}));
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  ASSERT_TRUE(sched.AddUnits({Unit(1, "j", 0, 1 << 16)}).ok());
  sched.Start();
  for (int i = 0; i < 5000 && !sched.Stats()[0].disabled; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  DeviceStats stats = sched.Stats()[0];
  EXPECT_TRUE(stats.disabled);
  EXPECT_EQ(stats.errors_total, 5u);
  EXPECT_EQ(stats.window.errors, 5u);
  EXPECT_EQ(sched.QueuedHashes(), 1u << 16) << "the failed range must go back to the queue";
  sched.Stop();
  ASSERT_EQ(sink.Outcomes().size(), 1u);
  EXPECT_EQ(sink.Outcomes()[0].state, UnitState::kReturned);
  EXPECT_EQ(sink.Outcomes()[0].hashes_done, 0u);
}

TEST(SchedulerTest, TransientDeviceErrorsRequeueTheRange) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("flaky", FakeDevice::Script{.fail_first = 2}));
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  std::vector<WorkUnit> units;
  for (uint64_t i = 1; i <= 20; ++i) units.push_back(Unit(i, "j", 0, 1 << 16));
  ASSERT_TRUE(sched.AddUnits(units).ok());
  sched.Start();
  ASSERT_TRUE(sink.WaitForOutcomes(20));
  EXPECT_THAT(sink.Outcomes(), Each(Field(&UnitOutcome::state, UnitState::kCompleted)));
  EXPECT_THAT(sink.Outcomes(), Each(Field(&UnitOutcome::hashes_done, 1u << 16)));
  DeviceStats stats = sched.Stats()[0];
  EXPECT_FALSE(stats.disabled);
  EXPECT_EQ(stats.errors_total, 2u);
  EXPECT_EQ(stats.hashes_total, 20u << 16);
}

TEST(SchedulerTest, CalibrationSeedsRateAndBatchSize) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("cpu0", FakeDevice::Script{}));
  Sink sink;
  SchedulerOptions options = FastOptions();
  options.target_batch_latency = absl::Milliseconds(100);
  Scheduler sched(std::move(devices), options, sink.Callbacks());
  sched.AddCalibration(0, 2'000'000, absl::Milliseconds(20));  // 100 MH/s.
  sched.AddCalibration(7, 1, absl::Seconds(1));                // No such device: ignored.
  EXPECT_NEAR(sched.Rate(), 1e8, 1);
  EXPECT_EQ(sched.Stats()[0].batch_size, 10'000'000u & ~uint64_t{255});
  ASSERT_TRUE(sched.AddUnits({Unit(1, "j", 0, 1'000'000)}).ok());
  EXPECT_EQ(sched.BufferedTime(), absl::Milliseconds(10));
}

TEST(SchedulerTest, UnderRandomCancelsEveryUnitEndsExactlyOnce) {
  std::vector<std::unique_ptr<Device>> devices;
  for (int i = 0; i < 3; ++i) {
    devices.push_back(std::make_unique<FakeDevice>(
        "cpu" + std::to_string(i),
        FakeDevice::Script{.share_every = 1 << 12, .fail_first = i, .real_chunk = 1 << 14}));
  }
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  sched.Start();
  std::mt19937 rng(7);
  uint64_t next_id = 1;
  for (int round = 0; round < 40; ++round) {
    std::vector<WorkUnit> units;
    for (int k = 0; k < 5; ++k, ++next_id) {
      units.push_back(Unit(next_id, "job" + std::to_string(round % 4), 0, 1 + rng() % (1 << 16)));
    }
    ASSERT_TRUE(sched.AddUnits(units).ok());
    if (rng() % 3 == 0) sched.CancelJobs({"job" + std::to_string(rng() % 4)});
    if (rng() % 5 == 0) sched.CancelUnits({1 + rng() % next_id});
    absl::SleepFor(absl::Microseconds(rng() % 2000));
  }
  sched.Stop();
  std::map<uint64_t, int> ends;
  for (const UnitOutcome& o : sink.Outcomes()) ++ends[o.unit_id];
  EXPECT_EQ(ends.size(), next_id - 1) << "a unit never ended";
  for (const auto& [id, n] : ends) EXPECT_EQ(n, 1) << "unit " << id << " ended " << n << " times";
  // Shares of a unit come before its end.
  std::set<uint64_t> ended;
  for (const std::string& e : sink.Events()) {
    uint64_t id = std::stoull(e.substr(e.find(' ') + 1));
    if (e.rfind("done", 0) == 0) ended.insert(id);
    else EXPECT_FALSE(ended.contains(id)) << "share after the end of unit " << id;
  }
}

TEST(SchedulerTest, BufferedTimeIsQueuedWorkOverMeasuredRate) {
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::make_unique<FakeDevice>("cpu0", FakeDevice::Script{.rate_hps = 1e6}));
  Sink sink;
  Scheduler sched(std::move(devices), FastOptions(), sink.Callbacks());
  EXPECT_EQ(sched.BufferedTime(), absl::ZeroDuration());
  ASSERT_TRUE(sched.AddUnits({Unit(1, "j", 0, 1 << 20)}).ok());
  sched.Start();
  ASSERT_TRUE(sink.WaitForOutcomes(1));
  EXPECT_NEAR(sched.Rate(), 1e6, 1e4);
  EXPECT_EQ(sched.BufferedTime(), absl::ZeroDuration());
}

}  // namespace
}  // namespace synth::worker
