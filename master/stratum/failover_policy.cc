#include "master/stratum/failover_policy.h"

#include <algorithm>
#include <cmath>

#include "common/logging.h"

namespace synth::stratum {

const char* LossReasonName(LossReason reason) {
  switch (reason) {
    case LossReason::kConnectFailed: return "connect failed";
    case LossReason::kHandshakeFailed: return "handshake failed";
    case LossReason::kRefused: return "refused (login, or an SV2 certificate)";
    case LossReason::kDropped: return "dropped";
    case LossReason::kStalled: return "stalled";
    case LossReason::kSubmitTimedOut: return "submit timed out";
    case LossReason::kBadInput: return "bad input";
  }
  return "?";
}

FailoverPolicy::FailoverPolicy(FailoverOptions options, int pools, const Clock* clock,
                               uint64_t seed)
    : options_(options),
      clock_(clock),
      rng_(seed != 0 ? seed : std::random_device{}()),
      pools_(pools),
      failures_(pools, 0),
      failed_(pools, false) {
  CHECK_GE(pools, 1);
}

void FailoverPolicy::Start() {
  current_ = preferred_;
  active_ = Active::kWaiting;
  connect_at_ = clock_->Now();
}

std::optional<FailoverAction> FailoverPolicy::TakeDue() {
  absl::Time now = clock_->Now();
  if (active_ == Active::kWaiting && now >= connect_at_) {
    active_ = Active::kConnecting;
    connect_at_ = absl::InfiniteFuture();
    return FailoverAction{current_, /*probe=*/false};
  }
  if (probe_ == Probe::kScheduled && active_ == Active::kReady && now >= probe_at_) {
    probe_ = Probe::kRunning;
    probe_at_ = absl::InfiniteFuture();
    return FailoverAction{preferred_, /*probe=*/true};
  }
  return std::nullopt;
}

absl::Time FailoverPolicy::NextWake() const {
  absl::Time wake = absl::InfiniteFuture();
  if (active_ == Active::kWaiting) wake = connect_at_;
  if (probe_ == Probe::kScheduled && active_ == Active::kReady) wake = std::min(wake, probe_at_);
  return wake;
}

absl::Duration FailoverPolicy::Backoff(int attempts) {
  double base = absl::ToDoubleSeconds(options_.backoff_initial) *
                std::pow(options_.backoff_multiplier, std::max(0, attempts - 1));
  base = std::min(base, absl::ToDoubleSeconds(options_.backoff_max));
  std::uniform_real_distribution<double> jitter(1 - options_.backoff_jitter,
                                                1 + options_.backoff_jitter);
  return absl::Seconds(base * jitter(rng_));
}

absl::Duration FailoverPolicy::ReturnHold() const {
  absl::Duration hold = options_.primary_retry;
  for (int i = 0; i < flaps_ && hold < options_.max_return_hold; ++i) hold *= 2;
  return std::min(hold, std::max(options_.max_return_hold, options_.primary_retry));
}

void FailoverPolicy::ScheduleProbe(absl::Time now) {
  if (current_ == preferred_) {
    if (probe_ == Probe::kScheduled) probe_ = Probe::kNone;
    return;
  }
  if (probe_ == Probe::kRunning) return;
  probe_ = Probe::kScheduled;
  probe_at_ = now + ReturnHold();
}

void FailoverPolicy::OnReady() {
  active_ = Active::kReady;
  failures_[current_] = 0;
  attempts_ = 0;
  std::fill(failed_.begin(), failed_.end(), false);
  ScheduleProbe(clock_->Now());
}

LossOutcome FailoverPolicy::OnLost(LossReason reason) {
  absl::Time now = clock_->Now();
  LossOutcome out;
  out.from = current_;
  if (active_ == Active::kReady && current_ == preferred_ &&
      returned_at_ != absl::InfinitePast()) {
    // Lost the pool we returned to: soon after the return it is flapping.
    flaps_ = now - returned_at_ < options_.stable_after ? flaps_ + 1 : 0;
    returned_at_ = absl::InfinitePast();
  }
  ++attempts_;
  int& f = failures_[current_];
  f = reason == LossReason::kRefused ? std::max(f + 1, options_.failover_after) : f + 1;
  failed_[current_] = true;
  absl::Duration delay = Backoff(attempts_);
  if (f >= options_.failover_after && pools_ > 1) {
    f = 0;
    current_ = (current_ + 1) % pools_;
    out.failed_over = true;
    if (!failed_[current_]) delay = Backoff(1);  // Its first try in this outage: quick.
  }
  if (probe_ == Probe::kScheduled) probe_ = Probe::kNone;  // Probes run only beside a ready one.
  active_ = Active::kWaiting;
  connect_at_ = now + delay;
  out.pool = current_;
  out.delay = delay;
  return out;
}

void FailoverPolicy::OnRedirect(absl::Duration wait) {
  if (probe_ == Probe::kScheduled) probe_ = Probe::kNone;
  active_ = Active::kWaiting;
  connect_at_ = clock_->Now() + std::max(wait, absl::ZeroDuration());
}

void FailoverPolicy::OnProbeReady() {
  probe_ = Probe::kNone;
  current_ = preferred_;
  connect_at_ = absl::InfiniteFuture();
  returned_at_ = clock_->Now();
  OnReady();
}

void FailoverPolicy::OnProbeFailed() {
  probe_ = Probe::kNone;
  if (active_ == Active::kReady) ScheduleProbe(clock_->Now());
}

bool FailoverPolicy::SwitchTo(int pool, bool force) {
  CHECK(pool >= 0 && pool < pools_) << pool;
  preferred_ = pool;
  probe_ = Probe::kNone;
  flaps_ = 0;
  returned_at_ = absl::InfinitePast();
  bool there = current_ == pool && (active_ == Active::kReady || active_ == Active::kConnecting);
  if (there && !force) return false;
  current_ = pool;
  failures_[pool] = 0;
  active_ = Active::kWaiting;
  connect_at_ = clock_->Now();
  return true;
}

int FailoverPolicy::AddPool() {
  failures_.push_back(0);
  failed_.push_back(false);
  return pools_++;
}

}  // namespace synth::stratum
