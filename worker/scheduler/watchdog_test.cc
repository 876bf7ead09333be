// The watchdog alone on a fake clock, then inside a Scheduler with fake devices that hang (real
// time, short timeouts, every wait bounded by a deadline).
#include "worker/scheduler/watchdog.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "worker/scheduler/fake_device.h"
#include "worker/scheduler/scheduler.h"

namespace synth::worker {
namespace {

struct Calls {
  std::vector<size_t> hung;
  std::vector<std::string> lost;
  WatchdogCallbacks Callbacks() {
    return {.on_hung = [this](size_t d) { hung.push_back(d); },
            .on_lost =
                [this](size_t d, const std::string& why) {
                  lost.push_back(std::to_string(d) + ": " + why);
                }};
  }
};

TEST(WatchdogTest, ABatchPastTenTimesItsTimeAndFiveSecondsIsHungOnce) {
  FakeClock clock;
  Calls calls;
  Watchdog dog({.clock = &clock}, 2, calls.Callbacks());
  dog.BatchStarted(0, absl::Milliseconds(50));  // 10 x 50 ms < 5 s: the deadline is 5 s.
  dog.BatchStarted(1, absl::Seconds(1));        // 10 x 1 s.
  clock.Advance(absl::Milliseconds(4900));
  EXPECT_EQ(dog.Check(), 0);
  clock.Advance(absl::Milliseconds(200));
  EXPECT_EQ(dog.Check(), 1);
  EXPECT_EQ(calls.hung, std::vector<size_t>{0});
  EXPECT_TRUE(dog.Hung(0));
  EXPECT_FALSE(dog.Hung(1));
  EXPECT_EQ(dog.Check(), 0);  // Once per hung batch.
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(dog.Check(), 1);       // Device 1 at 10 s.
  EXPECT_TRUE(dog.BatchEnded(0));  // Back.
  EXPECT_FALSE(dog.Hung(0));
  EXPECT_EQ(dog.Hangs(0), 1u);
  EXPECT_TRUE(calls.lost.empty());
  dog.BatchStarted(0, absl::Milliseconds(50));
  EXPECT_FALSE(dog.BatchEnded(0));  // A batch in time.
}

TEST(WatchdogTest, ADeviceHungForTheGiveUpTimeIsLost) {
  FakeClock clock;
  Calls calls;
  Watchdog dog({.give_up = absl::Seconds(60), .clock = &clock}, 1, calls.Callbacks());
  dog.BatchStarted(0, absl::Milliseconds(50));
  clock.Advance(absl::Seconds(6));
  dog.Check();
  clock.Advance(absl::Seconds(59));
  dog.Check();
  EXPECT_TRUE(calls.lost.empty());
  clock.Advance(absl::Seconds(2));
  dog.Check();
  ASSERT_EQ(calls.lost.size(), 1u);
  EXPECT_NE(calls.lost[0].find("hung for"), std::string::npos) << calls.lost[0];
  clock.Advance(absl::Seconds(60));
  dog.Check();
  EXPECT_EQ(calls.lost.size(), 1u);  // Reported once.
}

TEST(WatchdogTest, RepeatedHangsWithinTheWindowAreLost) {
  FakeClock clock;
  Calls calls;
  Watchdog dog({.max_hangs = 3, .hang_window = absl::Minutes(10), .clock = &clock}, 1,
               calls.Callbacks());
  auto hang_once = [&] {
    dog.BatchStarted(0, absl::Milliseconds(50));
    clock.Advance(absl::Seconds(6));
    dog.Check();
    dog.BatchEnded(0);
  };
  hang_once();
  clock.Advance(absl::Minutes(11));  // The first falls out of the window.
  hang_once();
  hang_once();
  EXPECT_TRUE(calls.lost.empty());
  hang_once();
  ASSERT_EQ(calls.lost.size(), 1u);
  EXPECT_NE(calls.lost[0].find("3 hangs within"), std::string::npos) << calls.lost[0];
  EXPECT_EQ(dog.Hangs(0), 4u);
}

TEST(WatchdogTest, DisabledAfterAHangIsLostDisabledAloneIsNot) {
  FakeClock clock;
  Calls calls;
  Watchdog dog({.clock = &clock}, 2, calls.Callbacks());
  dog.DeviceDisabled(1);  // Plain device errors: the scheduler's business, not a hang.
  EXPECT_TRUE(calls.lost.empty());
  dog.BatchStarted(0, absl::Milliseconds(50));
  clock.Advance(absl::Seconds(6));
  dog.Check();
  dog.BatchEnded(0);
  dog.DeviceDisabled(0);
  ASSERT_EQ(calls.lost.size(), 1u);
  EXPECT_NE(calls.lost[0].find("recovery failed"), std::string::npos);
}

TEST(WatchdogTest, ItsThreadWakesAtTheDeadline) {
  absl::Notification hung;
  Watchdog dog({.min_timeout = absl::Milliseconds(20)}, 1,
               {.on_hung = [&](size_t) { hung.Notify(); }});
  dog.Start();
  dog.BatchStarted(0, absl::Milliseconds(1));
  EXPECT_TRUE(hung.WaitForNotificationWithTimeout(absl::Seconds(10)));
  dog.Stop();
}

// Inside the scheduler: real time, a 200 ms timeout.

std::shared_ptr<const hash::ScanWork> AnyWork() {
  auto work = std::make_shared<hash::ScanWork>();
  work->target.fill(0xffffffff);
  return work;
}

class HungDeviceTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::unique_ptr<Device>> devices, WatchdogOptions dog = {}) {
    SchedulerOptions o;
    o.initial_cpu_batch = 1 << 12;
    o.min_batch = 1 << 12;
    o.max_batch = 1 << 12;
    o.error_backoff = absl::Milliseconds(1);
    o.watchdog = dog;
    o.watchdog.min_timeout = absl::Milliseconds(200);
    SchedulerCallbacks cb;
    cb.on_unit_done = [this](UnitOutcome u) {
      absl::MutexLock lock(&mu_);
      outcomes_.push_back(u);
    };
    cb.on_device_lost = [this](const std::string& device, const std::string&) {
      absl::MutexLock lock(&mu_);
      lost_.push_back(device);
    };
    sched_ = std::make_unique<Scheduler>(std::move(devices), o, cb);
    sched_->Start();
  }
  // Waits (bounded) until `pred` holds over the outcomes and lost devices.
  template <typename F>
  bool Await(F pred) {
    absl::MutexLock lock(&mu_);
    auto cond = [&] { return pred(outcomes_, lost_); };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(20));
  }
  // Polls `cond` until it holds, up to 20 s.
  template <typename F>
  static bool Eventually(F cond) {
    for (absl::Time end = absl::Now() + absl::Seconds(20); absl::Now() < end;) {
      if (cond()) return true;
      absl::SleepFor(absl::Milliseconds(2));
    }
    return cond();
  }
  std::vector<UnitOutcome> Outcomes() {
    absl::MutexLock lock(&mu_);
    return outcomes_;
  }
  static FakeDevice::Script Script() {
    return {.per_thread_clock = false, .real_delay = absl::Milliseconds(2)};
  }
  static size_t Count(const std::vector<UnitOutcome>& v, UnitState s) {
    size_t n = 0;
    for (const UnitOutcome& o : v) n += o.state == s;
    return n;
  }

  absl::Mutex mu_;
  std::vector<UnitOutcome> outcomes_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> lost_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Scheduler> sched_;
};

TEST_F(HungDeviceTest, AHungDeviceGivesItsUnitBackAndTheOthersCarryOn) {
  FakeDevice::Script stuck = Script();
  stuck.hang_on_scan = 1;
  auto a = std::make_unique<FakeDevice>("cpu0", stuck);
  auto b = std::make_unique<FakeDevice>("cpu1", Script());
  FakeDevice* spy = a.get();
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(a));
  devices.push_back(std::move(b));
  Start(std::move(devices));
  std::vector<WorkUnit> units;
  for (uint64_t id = 1; id <= 8; ++id) units.push_back({id, "job", id * 10, AnyWork(), 0, 1 << 14});
  ASSERT_TRUE(sched_->AddUnits(std::move(units)).ok());
  // The stuck unit comes back as returned, the other seven complete on cpu1.
  ASSERT_TRUE(Await([](const std::vector<UnitOutcome>& o, const std::vector<std::string>&) {
    return o.size() >= 8;
  }));
  EXPECT_EQ(Count(Outcomes(), UnitState::kReturned), 1u);
  EXPECT_EQ(Count(Outcomes(), UnitState::kCompleted), 7u);
  EXPECT_TRUE(spy->Hanging());
  std::vector<DeviceStats> stats = sched_->Stats();
  EXPECT_TRUE(stats[0].hung);
  EXPECT_EQ(stats[0].hangs, 1u);
  EXPECT_FALSE(stats[1].hung);
  // Asked (right after the unit went back); a CPU thread cannot be interrupted.
  EXPECT_TRUE(Eventually([&] { return spy->RecoverCalls() > 0; }));
  EXPECT_EQ(spy->RecoverCalls(), 1);
  // It comes back when its Scan returns; the returned unit gets no second outcome.
  spy->Release();
  EXPECT_TRUE(Eventually([&] { return !sched_->Stats()[0].hung; }));
  ASSERT_TRUE(sched_->AddUnits({{9, "job", 90, AnyWork(), 0, 1 << 14}}).ok());
  ASSERT_TRUE(Await([](const std::vector<UnitOutcome>& o, const std::vector<std::string>&) {
    return o.size() >= 9;
  }));
  sched_->Stop();
  EXPECT_EQ(Outcomes().size(), 9u);
  absl::MutexLock lock(&mu_);
  EXPECT_TRUE(lost_.empty());
}

TEST_F(HungDeviceTest, ARecoverableDeviceIsAbortedAndHashesAgain) {
  FakeDevice::Script stuck = Script();
  stuck.hang_on_scan = 0;
  stuck.recoverable = true;
  auto a = std::make_unique<FakeDevice>("cuda0", stuck, DeviceKind::kCuda);
  FakeDevice* spy = a.get();
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(a));
  Start(std::move(devices));
  ASSERT_TRUE(
      sched_
          ->AddUnits({{1, "job", 10, AnyWork(), 0, 1 << 14}, {2, "job", 20, AnyWork(), 0, 1 << 14}})
          .ok());
  ASSERT_TRUE(Await([](const std::vector<UnitOutcome>& o, const std::vector<std::string>&) {
    return o.size() >= 2;
  }));
  std::vector<UnitOutcome> o = Outcomes();
  EXPECT_EQ(o[0].unit_id, 1u);
  EXPECT_EQ(o[0].state, UnitState::kReturned);
  EXPECT_EQ(o[1].state, UnitState::kCompleted);  // Hashed after the recovery.
  EXPECT_EQ(spy->RecoverCalls(), 1);
  EXPECT_FALSE(sched_->Stats()[0].hung);
  EXPECT_EQ(sched_->Stats()[0].hangs, 1u);
}

TEST_F(HungDeviceTest, ADeviceThatStaysHungIsLostAndStopDoesNotWaitForIt) {
  FakeDevice::Script stuck = Script();
  stuck.hang_on_scan = 0;
  auto a = std::make_unique<FakeDevice>("cpu0", stuck);
  FakeDevice* spy = a.get();
  std::vector<std::unique_ptr<Device>> devices;
  devices.push_back(std::move(a));
  Start(std::move(devices), {.give_up = absl::Milliseconds(300)});
  ASSERT_TRUE(sched_->AddUnits({{1, "job", 10, AnyWork(), 0, 1 << 14}}).ok());
  ASSERT_TRUE(Await([](const std::vector<UnitOutcome>&, const std::vector<std::string>& lost) {
    return !lost.empty();
  }));
  {
    absl::MutexLock lock(&mu_);
    EXPECT_EQ(lost_, std::vector<std::string>{"cpu0"});
    ASSERT_EQ(outcomes_.size(), 1u);
    EXPECT_EQ(outcomes_[0].state, UnitState::kReturned);
  }
  absl::Time t0 = absl::Now();
  sched_->Stop();  // The stuck thread is left behind.
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  spy->Release();  // Lets it leave; the scheduler's destructor waits for that briefly.
  sched_.reset();
}

}  // namespace
}  // namespace synth::worker
