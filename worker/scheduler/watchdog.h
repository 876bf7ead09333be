// File: worker/scheduler/watchdog.h
//
// The worker's watchdog for hung devices (docs/WORKER.md "Watchdog"). The scheduler tells it
// when each device batch starts (with the time the batch should take at the device's measured
// rate) and ends. A batch that runs past `factor` times its expected time, and at least
// `min_timeout`, marks its device hung: `on_hung` runs once (the scheduler returns the batch's
// units to the master and asks the device to recover). When the batch ends after all, the device
// is back (`BatchEnded` returns true). A device that stays hung for `give_up`, that hangs
// `max_hangs` times within `hang_window`, or that gets disabled after a hang (its recovery
// failed) is lost: `on_lost` runs once and the worker exits with kExitDeviceLost, so that
// systemd or Kubernetes restarts it. A CPU hashing thread that stops reporting is caught the same
// way: its batch never ends.
//
//   Watchdog dog({}, /*devices=*/2, {.on_hung = [&](size_t d) { ... },
//                                    .on_lost = [&](size_t d, std::string why) { ... }});
//   dog.Start();
//   dog.BatchStarted(0, absl::Milliseconds(50));
//   ... Scan ...
//   bool was_hung = dog.BatchEnded(0);
//
// Thread-safety: all methods are thread-safe. The callbacks run on the watchdog's thread (or on
// the thread that calls Check or DeviceDisabled), without the watchdog's lock; they must not call
// Stop.
#ifndef SYNTH_WORKER_SCHEDULER_WATCHDOG_H_
#define SYNTH_WORKER_SCHEDULER_WATCHDOG_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace synth::worker {

// synth-worker's exit status when a device is lost to hangs (docs/WORKER.md): not 0 and not 2
// (bad flags), so `Restart=on-failure` and Kubernetes restart the worker.
inline constexpr int kExitDeviceLost = 3;

struct WatchdogOptions {
  double factor = 10;                              // Hung past factor x the expected time...
  absl::Duration min_timeout = absl::Seconds(5);   // ...and past this.
  absl::Duration give_up = absl::Seconds(60);      // Hung this long: lost.
  int max_hangs = 3;                               // This many hangs...
  absl::Duration hang_window = absl::Minutes(10);  // ...within this: lost.
  const Clock* clock = nullptr;                    // nullptr: RealClock.
};

struct WatchdogCallbacks {
  std::function<void(size_t device)> on_hung;
  std::function<void(size_t device, const std::string& reason)> on_lost;
};

class Watchdog {
 public:
  Watchdog(WatchdogOptions options, size_t devices, WatchdogCallbacks callbacks);
  ~Watchdog();  // Calls Stop().
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Starts the thread that calls Check when the earliest deadline passes. Call once.
  void Start();
  // Ends the thread. Idempotent.
  void Stop();

  // A batch of `device` starts; it should take `expected`.
  void BatchStarted(size_t device, absl::Duration expected);
  // The batch of `device` ended; true when it had been declared hung (the device is back).
  bool BatchEnded(size_t device);
  // The scheduler disabled `device` (too many consecutive errors): lost if it had hung.
  void DeviceDisabled(size_t device);

  // Declares every overdue batch hung and every device past `give_up` lost, now; returns the
  // number of devices newly declared hung. The thread's step; tests call it on a fake clock.
  int Check();

  bool Hung(size_t device) const;
  uint64_t Hangs(size_t device) const;  // Since start.

 private:
  struct DeviceState {
    bool running = false;
    absl::Time deadline = absl::InfiniteFuture();  // Of the running batch.
    bool hung = false;
    absl::Time hung_since;
    bool lost = false;
    uint64_t hangs = 0;
    std::deque<absl::Time> recent_hangs;  // Within hang_window.
  };
  // Marks `d` lost unless it already is; returns whether the caller should report it.
  bool LoseLocked(DeviceState& d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Loop();

  const WatchdogOptions options_;
  const WatchdogCallbacks callbacks_;
  const Clock* const clock_;

  mutable absl::Mutex mu_;
  absl::CondVar wake_;
  std::vector<DeviceState> devices_ ABSL_GUARDED_BY(mu_);
  absl::Time next_wake_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_SCHEDULER_WATCHDOG_H_
