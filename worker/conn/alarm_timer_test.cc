// AlarmTimer on real gRPC alarms: it fires once per arming, re-arming replaces, disarming and
// shutting down stop it, and Shutdown waits for a callback in progress. Waits are bounded.
#include "worker/conn/alarm_timer.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace synth::worker {
namespace {

// Waits (bounded) until `count` reaches `n`.
bool WaitForCount(const std::atomic<int>& count, int n, absl::Duration timeout = absl::Seconds(10)) {
  absl::Time deadline = absl::Now() + timeout;
  while (count.load() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  return count.load() >= n;
}

TEST(AlarmTimerTest, FiresOncePerArmingAtItsDeadline) {
  std::atomic<int> fired{0};
  AlarmTimer timer([&] { ++fired; });
  EXPECT_FALSE(timer.Armed());
  absl::Time start = absl::Now();
  timer.ArmAt(start + absl::Milliseconds(30));
  EXPECT_TRUE(timer.Armed());
  ASSERT_TRUE(WaitForCount(fired, 1));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(29));
  EXPECT_FALSE(timer.Armed());
  timer.ArmAt(absl::InfinitePast());  // Past: fires at once.
  ASSERT_TRUE(WaitForCount(fired, 2));
  EXPECT_EQ(timer.Fired(), 2u);
}

TEST(AlarmTimerTest, ReArmingReplacesAndDisarmingCancels) {
  std::atomic<int> fired{0};
  AlarmTimer timer([&] { ++fired; });
  timer.ArmAt(absl::Now() + absl::Hours(1));
  timer.ArmAt(absl::Now() + absl::Milliseconds(5));  // Replaces the hour.
  ASSERT_TRUE(WaitForCount(fired, 1));
  timer.ArmAt(absl::Now() + absl::Milliseconds(20));
  timer.Disarm();
  EXPECT_FALSE(timer.Armed());
  // Another arming fires; the disarmed one never does (a second fire would show here).
  timer.ArmAt(absl::Now() + absl::Milliseconds(40));
  ASSERT_TRUE(WaitForCount(fired, 2));
  timer.Shutdown();
  EXPECT_EQ(fired.load(), 2);
}

TEST(AlarmTimerTest, ArmNoLaterThanKeepsAnEarlierDeadline) {
  std::atomic<int> fired{0};
  AlarmTimer timer([&] { ++fired; });
  absl::Time soon = absl::Now() + absl::Milliseconds(10);
  timer.ArmAt(soon);
  timer.ArmNoLaterThan(absl::Now() + absl::Hours(1));  // Later: ignored.
  ASSERT_TRUE(WaitForCount(fired, 1)) << "the later deadline replaced the earlier one";
  timer.ArmAt(absl::Now() + absl::Hours(1));
  timer.ArmNoLaterThan(absl::Now() + absl::Milliseconds(10));  // Earlier: taken.
  ASSERT_TRUE(WaitForCount(fired, 2));
}

TEST(AlarmTimerTest, ShutdownWaitsForARunningCallbackAndNothingFiresAfterIt) {
  absl::Notification entered;
  absl::Notification release;
  std::atomic<bool> returned{false};
  std::atomic<int> fired{0};
  AlarmTimer timer([&] {
    ++fired;
    entered.Notify();
    release.WaitForNotification();
    returned = true;
  });
  timer.ArmAt(absl::Now());
  ASSERT_TRUE(entered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::Notification shut;
  std::thread stopper([&] {
    timer.Shutdown();
    shut.Notify();
  });
  EXPECT_FALSE(shut.WaitForNotificationWithTimeout(absl::Milliseconds(20)))
      << "Shutdown returned while the callback ran";
  release.Notify();
  ASSERT_TRUE(shut.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_TRUE(returned.load());
  stopper.join();
  timer.ArmAt(absl::Now());  // After Shutdown: nothing.
  EXPECT_FALSE(timer.Armed());
  EXPECT_EQ(fired.load(), 1);
}

}  // namespace
}  // namespace synth::worker
