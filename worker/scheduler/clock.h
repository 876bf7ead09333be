// File: worker/scheduler/clock.h
//
// The time seam of the worker: the scheduler and the master connection read time only through
// a Clock, so unit tests can drive batch sizing and telemetry on a FakeClock.
//
//   FakeClock clock;                       // starts at the Unix epoch
//   clock.Advance(absl::Milliseconds(150));
//   absl::Duration d = clock.Now() - absl::UnixEpoch();
//
// Thread-safety: both implementations are thread-safe.
#ifndef SYNTH_WORKER_SCHEDULER_CLOCK_H_
#define SYNTH_WORKER_SCHEDULER_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace synth::worker {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time.
  virtual absl::Time Now() const = 0;
};

// Wall time (absl::Now()).
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  // Returns a process-wide instance.
  static RealClock* Get() {
    static RealClock* clock = new RealClock;
    return clock;
  }
};

// Time that moves only when told to.
class FakeClock : public Clock {
 public:
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  // Moves time forward by `d` (d >= 0).
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::UnixEpoch();
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_SCHEDULER_CLOCK_H_
