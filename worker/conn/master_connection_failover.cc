// MasterConnection with several masters: where the next stream goes, abandoning a hung
// attempt, health checks of earlier masters and the planned return to one, and the
// master_lost expiry of shares whose master the worker left (master_failover.h decides; this
// file acts and keeps the timers).
#include <algorithm>
#include <vector>

#include "absl/time/clock.h"
#include "common/logging.h"
#include "worker/conn/master_connection.h"

namespace synth::worker {

void MasterConnection::ScheduleNextStreamLocked() {
  absl::Time now = absl::Now();
  int from = policy_.current();
  if (returning_to_ >= 0) {  // The planned return closed the stream: go now.
    policy_.MoveTo(returning_to_);
    returning_to_ = -1;
  } else {
    policy_.OnStreamEnded();
  }
  absl::Duration wait;
  if (policy_.current() != from) {
    MovedLocked(from);
    backoff_.Reset();
    wait = absl::ZeroDuration();
  } else {
    wait = backoff_.Next();
    if (auth_refused_) {
      wait = std::max(wait, options_.auth_backoff);
      LOG(ERROR) << "master " << masters_[from].address << " refused this worker's credentials ("
                 << stats_.last_error << "): check --token / SYNTH_TOKEN and --tls-cert";
    }
    // One attempt at the failover deadline at the latest: if it fails, the next master.
    wait = std::clamp(policy_.FailoverDeadline() - now, absl::ZeroDuration(), wait);
    LOG(INFO) << "master " << masters_[from].address << ": reconnecting in " << wait
              << " (attempt " << backoff_.Attempts() << ")";
  }
  reconnect_timer_.ArmAt(now + wait);
}

void MasterConnection::MovedLocked(int from) {
  int to = policy_.current();
  absl::Time now = absl::Now();
  left_at_[to] = absl::InfiniteFuture();  // Its shares are deliverable again.
  uint64_t waiting = outbox_.PendingFor(from);
  if (waiting > 0) {
    left_at_[from] = now;
    lost_timer_.ArmNoLaterThan(now + options_.master_lost_after);
  }
  LOG(WARNING) << "moving from master " << masters_[from].address << " to "
               << masters_[to].address << "; " << waiting << " share(s) found on "
               << masters_[from].address << "'s work wait for it (up to "
               << options_.master_lost_after << ")";
}

void MasterConnection::OnFailoverTimer() {
  absl::MutexLock lock(&mu_);
  if (stream_ == nullptr || welcomed_ || absl::Now() < policy_.FailoverDeadline()) return;
  LOG(WARNING) << "master " << masters_[stream_master_].address
               << ": no answer within the failover time; abandoning the attempt";
  stream_->Cancel();  // OnStreamDone follows and moves on.
}

void MasterConnection::OnProbeTimer() {
  std::vector<int> probe;
  {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr || !welcomed_ || returning_to_ >= 0) return;
    probe = policy_.ToProbe();
    policy_.Probed();
  }
  // Healthy = the channel to it is READY (connected, TLS done); GetState(true) also starts
  // connecting an idle channel, so the next check can see it up.
  std::vector<bool> healthy;
  for (int i : probe) {
    healthy.push_back(masters_[i].channel->GetState(/*try_to_connect=*/true) ==
                      GRPC_CHANNEL_READY);
  }
  Scheduler* scheduler = nullptr;
  {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr || !welcomed_ || returning_to_ >= 0) return;
    for (size_t k = 0; k < probe.size(); ++k) policy_.OnHealth(probe[k], healthy[k]);
    int back = policy_.ReturnTo();
    if (back < 0) {
      probe_timer_.ArmAt(policy_.NextProbe());
      return;
    }
    LOG(INFO) << "master " << masters_[back].address << " has been healthy for "
              << options_.failover.return_after << ": returning to it from "
              << masters_[stream_master_].address;
    returning_to_ = back;
    return_timer_.ArmAt(absl::Now() + options_.return_grace);
    scheduler = scheduler_;
  }
  // No more work from this master (no lease requests while returning); its shares in flight
  // are answered before the stream closes (FinishReturnIfReadyLocked).
  scheduler->CancelAll();
  absl::MutexLock lock(&mu_);
  FinishReturnIfReadyLocked(/*force=*/false);
}

void MasterConnection::FinishReturnIfReadyLocked(bool force) {
  if (returning_to_ < 0 || stream_ == nullptr) return;
  if (force) {  // The grace is over (or the master did not end the call after our close).
    stream_->Cancel();
    return;
  }
  for (const auto& [id, unit] : units_) {
    if (unit.master == stream_master_) return;  // Still hashing: shares may come.
  }
  if (outbox_.PendingFor(stream_master_) > 0) return;
  // The master ends the call; OnStreamDone moves on. return_timer_ stays armed in case not.
  stream_->CloseWrites();
}

void MasterConnection::OnLostTimer() {
  absl::MutexLock lock(&mu_);
  absl::Time now = absl::Now();
  absl::Time next = absl::InfiniteFuture();
  for (int m = 0; m < static_cast<int>(masters_.size()); ++m) {
    if (m == policy_.current() || left_at_[m] == absl::InfiniteFuture()) continue;
    absl::Time due = left_at_[m] + options_.master_lost_after;
    if (due > now) {
      next = std::min(next, due);
      continue;
    }
    left_at_[m] = absl::InfiniteFuture();
    if (uint64_t n = outbox_.ExpireMaster(m); n > 0) {
      LOG(WARNING) << n << " share(s) found on master " << masters_[m].address
                   << "'s work end master_lost: it did not come back within "
                   << options_.master_lost_after;
    }
  }
  if (next != absl::InfiniteFuture()) lost_timer_.ArmAt(next);
}

}  // namespace synth::worker
