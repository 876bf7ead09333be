#include "worker/scheduler/watchdog.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace synth::worker {

Watchdog::Watchdog(WatchdogOptions options, size_t devices, WatchdogCallbacks callbacks)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      clock_(options_.clock != nullptr ? options_.clock : RealClock::Get()),
      devices_(devices) {}

Watchdog::~Watchdog() { Stop(); }

void Watchdog::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Watchdog::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void Watchdog::BatchStarted(size_t device, absl::Duration expected) {
  absl::MutexLock lock(&mu_);
  if (device >= devices_.size()) return;
  DeviceState& d = devices_[device];
  d.running = true;
  d.deadline = clock_->Now() + std::max(options_.factor * expected, options_.min_timeout);
  if (d.deadline < next_wake_) {
    next_wake_ = d.deadline;
    wake_.Signal();
  }
}

bool Watchdog::BatchEnded(size_t device) {
  absl::MutexLock lock(&mu_);
  if (device >= devices_.size()) return false;
  DeviceState& d = devices_[device];
  const bool was_hung = d.hung;
  d.running = false;
  d.hung = false;
  return was_hung;
}

void Watchdog::DeviceDisabled(size_t device) {
  bool report = false;
  {
    absl::MutexLock lock(&mu_);
    if (device >= devices_.size()) return;
    DeviceState& d = devices_[device];
    report = d.hangs > 0 && LoseLocked(d);
  }
  if (report && callbacks_.on_lost) {
    callbacks_.on_lost(device, "disabled after a hang: its recovery failed");
  }
}

bool Watchdog::LoseLocked(DeviceState& d) {
  if (d.lost) return false;
  d.lost = true;
  return true;
}

int Watchdog::Check() {
  std::vector<size_t> hung;
  std::vector<std::pair<size_t, std::string>> lost;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    next_wake_ = absl::InfiniteFuture();
    for (size_t i = 0; i < devices_.size(); ++i) {
      DeviceState& d = devices_[i];
      if (d.running && !d.hung && now >= d.deadline) {
        d.hung = true;
        d.hung_since = now;
        ++d.hangs;
        d.recent_hangs.push_back(now);
        while (now - d.recent_hangs.front() > options_.hang_window) d.recent_hangs.pop_front();
        hung.push_back(i);
        if (static_cast<int>(d.recent_hangs.size()) >= options_.max_hangs && LoseLocked(d)) {
          lost.emplace_back(i, absl::StrCat(d.recent_hangs.size(), " hangs within ",
                                            absl::FormatDuration(options_.hang_window)));
        }
      }
      if (d.hung && now - d.hung_since >= options_.give_up && LoseLocked(d)) {
        lost.emplace_back(i, absl::StrCat("hung for ", absl::FormatDuration(now - d.hung_since)));
      }
      if (d.running && !d.hung) next_wake_ = std::min(next_wake_, d.deadline);
      if (d.hung && !d.lost) next_wake_ = std::min(next_wake_, d.hung_since + options_.give_up);
    }
  }
  for (size_t i : hung) {
    if (callbacks_.on_hung) callbacks_.on_hung(i);
  }
  for (const auto& [i, reason] : lost) {
    if (callbacks_.on_lost) callbacks_.on_lost(i, reason);
  }
  return static_cast<int>(hung.size());
}

void Watchdog::Loop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      // Woken early by BatchStarted (an earlier deadline) or Stop; else at the deadline.
      while (!stopping_ && clock_->Now() < next_wake_) wake_.WaitWithDeadline(&mu_, next_wake_);
      if (stopping_) return;
    }
    Check();
  }
}

bool Watchdog::Hung(size_t device) const {
  absl::MutexLock lock(&mu_);
  return device < devices_.size() && devices_[device].hung;
}

uint64_t Watchdog::Hangs(size_t device) const {
  absl::MutexLock lock(&mu_);
  return device < devices_.size() ? devices_[device].hangs : 0;
}

}  // namespace synth::worker
