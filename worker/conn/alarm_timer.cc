#include "worker/conn/alarm_timer.h"

#include <algorithm>
#include <utility>

namespace synth::worker {

AlarmTimer::AlarmTimer(std::function<void()> fire) : fire_(std::move(fire)) {}

AlarmTimer::~AlarmTimer() { Shutdown(); }

void AlarmTimer::ArmAt(absl::Time deadline) {
  uint64_t generation;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    generation = ++generation_;
    deadline_ = deadline;
    ++in_flight_;
  }
  // grpc::Alarm calls are made without mu_: a callback may run inline when gRPC's executor has
  // no thread, and it takes mu_.
  auto alarm = std::make_unique<grpc::Alarm>();
  // A past deadline (InfinitePast included, which has no chrono equivalent) means now.
  alarm->Set(absl::ToChronoTime(std::max(deadline, absl::Now())),
             [this, generation](bool ok) { OnAlarm(generation, ok); });
  std::unique_ptr<grpc::Alarm> old;
  {
    absl::MutexLock lock(&mu_);
    if (generation == generation_ && !shut_down_) {
      old = std::exchange(alarm_, std::move(alarm));
    } else {
      old = std::move(alarm);  // Re-armed, disarmed or shut down meanwhile.
    }
  }
  // Destroying an alarm cancels it; its callback still runs, with ok = false.
}

void AlarmTimer::ArmNoLaterThan(absl::Time deadline) {
  {
    absl::MutexLock lock(&mu_);
    if (deadline_ <= deadline) return;
  }
  ArmAt(deadline);  // A race with another arming only makes the deadline later or earlier once.
}

void AlarmTimer::Disarm() {
  std::unique_ptr<grpc::Alarm> old;
  {
    absl::MutexLock lock(&mu_);
    ++generation_;
    deadline_ = absl::InfiniteFuture();
    old = std::move(alarm_);
  }
}

bool AlarmTimer::Armed() const {
  absl::MutexLock lock(&mu_);
  return deadline_ != absl::InfiniteFuture();
}

uint64_t AlarmTimer::Fired() const {
  absl::MutexLock lock(&mu_);
  return fired_;
}

void AlarmTimer::OnAlarm(uint64_t generation, bool ok) {
  bool fire;
  {
    absl::MutexLock lock(&mu_);
    fire = ok && !shut_down_ && generation == generation_;
    if (fire) {
      deadline_ = absl::InfiniteFuture();
      ++fired_;
    }
  }
  if (fire) fire_();
  absl::MutexLock lock(&mu_);
  --in_flight_;
}

void AlarmTimer::Shutdown() {
  std::unique_ptr<grpc::Alarm> alarm;
  {
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    ++generation_;
    deadline_ = absl::InfiniteFuture();
    alarm = std::move(alarm_);
  }
  alarm.reset();  // Cancels (without mu_); the callback comes back with ok = false.
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return in_flight_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

}  // namespace synth::worker
