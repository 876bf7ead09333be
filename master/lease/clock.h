// File: master/lease/clock.h
//
// The master's time source, an interface so the lease manager, tuning and services run on a
// fake clock in tests.
//
//   RealClock clock;             FakeClock fake;  fake.Advance(absl::Seconds(5));
//   absl::Time now = clock.Now();
//
// Thread-safe: both implementations.
#ifndef SYNTH_MASTER_LEASE_CLOCK_H_
#define SYNTH_MASTER_LEASE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace synth::lease {

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current time.
  virtual absl::Time Now() const = 0;
};

// Wall-clock time.
class RealClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

// Time that moves only when told to. Starts at the Unix epoch + 1e9 s.
class FakeClock : public Clock {
 public:
  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  // Moves time forward by `d`.
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1000000000);
};

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_CLOCK_H_
