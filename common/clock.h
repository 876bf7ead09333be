// File: common/clock.h
//
// The time seam of synth: the master's lease manager, tuning and services and the worker's
// scheduler and connection read time only through a Clock, so unit tests drive them on a
// FakeClock instead of real time.
//
//   FakeClock clock;                              // starts at 2001-09-09 (Unix 1e9 s)
//   clock.Advance(absl::Milliseconds(150));
//   absl::Time now = RealClock::Get()->Now();      // production
//
// Thread-safety: both implementations are thread-safe.
#ifndef SYNTH_COMMON_CLOCK_H_
#define SYNTH_COMMON_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace synth {

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
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1000000000)) : now_(start) {}

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
  absl::Time now_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth

#endif  // SYNTH_COMMON_CLOCK_H_
