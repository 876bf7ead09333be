#include "worker/conn/master_failover.h"

#include <algorithm>

#include "common/logging.h"

namespace synth::worker {

MasterFailoverPolicy::MasterFailoverPolicy(int masters, MasterFailoverOptions options,
                                           const Clock* clock)
    : options_(options),
      clock_(clock),
      down_since_(clock->Now()),
      healthy_since_(masters, absl::InfiniteFuture()) {
  CHECK_GE(masters, 1);
}

void MasterFailoverPolicy::OnWelcomed() {
  welcomed_ = true;
  down_since_ = absl::InfiniteFuture();
  std::fill(healthy_since_.begin(), healthy_since_.end(), absl::InfiniteFuture());
  next_probe_ = current_ > 0 ? clock_->Now() : absl::InfiniteFuture();
}

int MasterFailoverPolicy::OnStreamEnded() {
  absl::Time now = clock_->Now();
  if (welcomed_) {  // A live stream was lost: its master's clock starts now.
    welcomed_ = false;
    down_since_ = now;
    next_probe_ = absl::InfiniteFuture();
    return current_;
  }
  if (now - down_since_ >= options_.failover_after && masters() > 1) {
    MoveTo((current_ + 1) % masters());
  }
  return current_;
}

absl::Time MasterFailoverPolicy::FailoverDeadline() const {
  if (welcomed_ || masters() == 1) return absl::InfiniteFuture();
  return down_since_ + options_.failover_after;
}

void MasterFailoverPolicy::OnHealth(int index, bool healthy) {
  if (index < 0 || index >= current_) return;
  absl::Time& since = healthy_since_[index];
  if (!healthy) {
    since = absl::InfiniteFuture();
  } else if (since == absl::InfiniteFuture()) {
    since = clock_->Now();
  }
}

std::vector<int> MasterFailoverPolicy::ToProbe() const {
  std::vector<int> out;
  if (!welcomed_ || clock_->Now() < next_probe_) return out;
  for (int i = 0; i < current_; ++i) out.push_back(i);
  return out;
}

absl::Time MasterFailoverPolicy::NextProbe() const {
  return welcomed_ && current_ > 0 ? next_probe_ : absl::InfiniteFuture();
}

void MasterFailoverPolicy::Probed() {
  if (welcomed_ && current_ > 0) next_probe_ = clock_->Now() + options_.probe_interval;
}

int MasterFailoverPolicy::ReturnTo() const {
  if (!welcomed_) return -1;
  absl::Time now = clock_->Now();
  for (int i = 0; i < current_; ++i) {
    if (healthy_since_[i] != absl::InfiniteFuture() &&
        now - healthy_since_[i] >= options_.return_after) {
      return i;
    }
  }
  return -1;
}

void MasterFailoverPolicy::MoveTo(int index) {
  CHECK(index >= 0 && index < masters()) << index;
  current_ = index;
  welcomed_ = false;
  down_since_ = clock_->Now();
  next_probe_ = absl::InfiniteFuture();
  std::fill(healthy_since_.begin(), healthy_since_.end(), absl::InfiniteFuture());
  ++moves_;
}

}  // namespace synth::worker
