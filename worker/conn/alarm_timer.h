// File: worker/conn/alarm_timer.h
//
// A re-armable one-shot timer on gRPC's callback alarms (grpc::Alarm), for code that lives on
// gRPC's reaction threads and must never sleep or poll: the callback runs on a gRPC thread at
// the deadline, unless the timer was re-armed, disarmed or shut down first.
//
//   AlarmTimer progress([this] { FlushProgress(); });
//   progress.ArmAt(absl::Now() + absl::Milliseconds(100));
//   progress.ArmNoLaterThan(t);    // keeps an earlier deadline
//   progress.Shutdown();           // no callback runs or starts after this returns
//
// Arming cancels the pending grpc::Alarm and starts a new one; a cancelled alarm still calls
// back (with ok = false) later, so the timer counts the alarms in flight and Shutdown waits for
// all of them. `fire` runs at most once per arming.
//
// Thread-safety: thread-safe. `fire` runs without the timer's lock held and may call ArmAt or
// Disarm on its own timer, but not Shutdown (which waits for it).
#ifndef SYNTH_WORKER_CONN_ALARM_TIMER_H_
#define SYNTH_WORKER_CONN_ALARM_TIMER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/alarm.h"

namespace synth::worker {

class AlarmTimer {
 public:
  explicit AlarmTimer(std::function<void()> fire);
  ~AlarmTimer();  // Shutdown().
  AlarmTimer(const AlarmTimer&) = delete;
  AlarmTimer& operator=(const AlarmTimer&) = delete;

  // Fires at `deadline` (at once when it has passed), replacing any earlier arming.
  void ArmAt(absl::Time deadline);
  // Arms for `deadline` unless already armed for that time or earlier.
  void ArmNoLaterThan(absl::Time deadline);
  void Disarm();
  bool Armed() const;
  // Returns how many times `fire` has run.
  uint64_t Fired() const;
  // Disarms for good and waits until no callback is running or pending. Arming afterwards does
  // nothing.
  void Shutdown();

 private:
  void OnAlarm(uint64_t generation, bool ok);

  const std::function<void()> fire_;
  mutable absl::Mutex mu_;
  std::unique_ptr<grpc::Alarm> alarm_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // Of the live arming.
  absl::Time deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();  // Armed until it fires.
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // Alarms set whose callback has not returned.
  uint64_t fired_ ABSL_GUARDED_BY(mu_) = 0;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_ALARM_TIMER_H_
