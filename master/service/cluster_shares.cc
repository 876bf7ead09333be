// The share path of the Cluster: validate under the mutex, submit upstream outside it, send the
// final verdict when the pool answers.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "master/service/cluster.h"

namespace synth::service {

v1::ShareState ToProto(shares::ShareState state) {
  switch (state) {
    case shares::ShareState::kPending:
      return v1::SHARE_STATE_UNSPECIFIED;
    case shares::ShareState::kAccepted:
      return v1::SHARE_STATE_ACCEPTED;
    case shares::ShareState::kRejected:
      return v1::SHARE_STATE_REJECTED;
    case shares::ShareState::kStale:
      return v1::SHARE_STATE_STALE;
    case shares::ShareState::kDuplicate:
      return v1::SHARE_STATE_DUPLICATE;
    case shares::ShareState::kBelowTarget:
      return v1::SHARE_STATE_BELOW_TARGET;
    case shares::ShareState::kHardwareError:
      return v1::SHARE_STATE_HARDWARE_ERROR;
    case shares::ShareState::kUnknownUnit:
      return v1::SHARE_STATE_UNKNOWN_UNIT;
    case shares::ShareState::kPoolDown:
      return v1::SHARE_STATE_POOL_DOWN;
    case shares::ShareState::kRateLimited:
      return v1::SHARE_STATE_RATE_LIMITED;
    case shares::ShareState::kLocal:
      return v1::SHARE_STATE_LOCAL;
  }
  return v1::SHARE_STATE_UNSPECIFIED;
}

void CountIn(shares::ShareCounts& c, shares::ShareState state, double difficulty) {
  switch (state) {
    case shares::ShareState::kPending:
      ++c.pending;
      break;
    case shares::ShareState::kAccepted:
      ++c.accepted;
      c.accepted_difficulty += difficulty;
      break;
    case shares::ShareState::kRejected:
      ++c.rejected;
      break;
    case shares::ShareState::kStale:
      ++c.stale;
      break;
    case shares::ShareState::kDuplicate:
      ++c.duplicate;
      break;
    case shares::ShareState::kBelowTarget:
      ++c.below_target;
      break;
    case shares::ShareState::kHardwareError:
      ++c.hardware_error;
      break;
    case shares::ShareState::kUnknownUnit:
      ++c.unknown_unit;
      break;
    case shares::ShareState::kPoolDown:
      ++c.pool_down;
      break;
    case shares::ShareState::kRateLimited:
      ++c.rate_limited;
      break;
    case shares::ShareState::kLocal:
      ++c.local;
      break;
  }
}

bool Cluster::TakeShareTokenLocked(Session& s) {
  if (!(options_.max_share_rate > 0)) return true;
  // Shares/s that the worker's rate makes plausible at the current difficulty, with slack.
  double plausible = pool_difficulty_ > 0
                         ? 8 * tuning_.SizingRate(s.id) / (pool_difficulty_ * 4294967296.0)
                         : 0;
  double rate = std::clamp(std::isfinite(plausible) ? plausible : 0, options_.max_share_rate,
                           64 * options_.max_share_rate);
  double burst = rate * std::max(options_.share_burst_seconds, 1.0 / rate);
  absl::Time now = clock_->Now();
  if (s.share_tokens < 0) {
    s.share_tokens = burst;
  } else {
    s.share_tokens = std::min(
        burst, s.share_tokens + rate * absl::ToDoubleSeconds(now - s.share_refill));
  }
  s.share_refill = now;
  if (s.share_tokens >= 1) {
    s.share_tokens -= 1;
    return true;
  }
  if (now - s.rate_limited_at > absl::Seconds(60)) {
    LOG(WARNING) << "worker " << s.worker_id << " sends shares faster than " << rate
                 << "/s: the excess is counted rate_limited, not verified";
  }
  s.rate_limited_at = now;
  return false;
}

std::optional<Cluster::Submission> Cluster::OnShareLocked(Session& s, const v1::Share& share) {
  if (!TakeShareTokenLocked(s)) {
    validator_.CountUnchecked(shares::ShareState::kRateLimited);
    ++s.shares.found;
    CountIn(s.shares, shares::ShareState::kRateLimited, 0);
    SendVerdictLocked(s.id, share.share_id(), shares::ShareState::kRateLimited,
                      "over the share rate limit", 0, 0);
    return std::nullopt;
  }
  shares::ShareIn in{.worker = s.id,
                     .unit_id = share.unit_id(),
                     .midstate_id = share.midstate_id(),
                     .job_key = share.job_id(),
                     .nonce = share.nonce(),
                     .device = share.device()};
  shares::ShareCheck c = validator_.Validate(in);
  ++s.shares.found;
  if (c.state != shares::ShareState::kStale && c.state != shares::ShareState::kUnknownUnit &&
      c.state != shares::ShareState::kDuplicate) {
    tuning_.OnShare(s.id, share.device(), !c.device_error, c.difficulty);
    if (!c.device_error) verified_difficulty_ += c.difficulty;
    if (c.device_error) leases_.SetRate(s.id, tuning_.SizingRate(s.id));
  }
  if (c.state != shares::ShareState::kPending) {
    VLOG(1) << "worker " << s.worker_id << " share " << share.share_id() << ": "
            << shares::ShareStateName(c.state) << " (" << c.reason << ")";
    CountIn(s.shares, c.state, c.difficulty);
    SendVerdictLocked(s.id, share.share_id(), c.state, c.reason, 0, c.difficulty);
    RecordShareLocked(s.worker_id, share.device(), share.share_id(), share.job_id(),
                      share.nonce(), c.difficulty, c.state, c.reason, 0);
    return std::nullopt;
  }
  uint64_t id = next_pending_++;
  pending_[id] = PendingShare{s.id,           share.share_id(), share.device(), c.difficulty,
                              s.worker_id,    share.job_id(),   share.nonce()};
  return Submission{id, *std::move(c.submit), share.found_unix_us()};
}

void Cluster::SubmitUpstream(Submission sub) {
  uint64_t id = sub.pending_id;
  if (sub.found_unix_us > 0) {
    double ms = (absl::ToUnixMicros(absl::Now()) - sub.found_unix_us) / 1000.0;
    absl::MutexLock lock(&latency_mu_);
    share_path_ms_.push_back(ms);
    if (share_path_ms_.size() > 2000) share_path_ms_.pop_front();
  }
  upstream_->Submit(sub.share, [this, id](const jobs::SubmitResult& r) { OnSubmitResult(id, r); });
}

void Cluster::OnSubmitResult(uint64_t pending_id, const jobs::SubmitResult& result) {
  absl::MutexLock lock(&mu_);
  auto it = pending_.find(pending_id);
  if (it == pending_.end()) return;
  PendingShare p = it->second;
  pending_.erase(it);
  shares::ShareState state =
      result.accepted ? shares::ShareState::kAccepted
      : result.stale || result.code == 21  // Job not found.
          ? shares::ShareState::kStale
          : result.not_sent ? shares::ShareState::kPoolDown : shares::ShareState::kRejected;
  validator_.Resolve(state, p.difficulty);
  if (!result.accepted) {
    LOG(WARNING) << "share rejected by pool: " << result.code << " " << result.reason;
  }
  RecordShareLocked(p.worker_id, p.device, p.share_id, p.job_key, p.nonce, p.difficulty, state,
                    result.reason, result.code);
  if (p.source != 0) return ResolveSourceLocked(p, state, result);
  auto s = sessions_.find(p.session);
  if (s == sessions_.end()) return;
  CountIn(s->second->shares, state, p.difficulty);
  SendVerdictLocked(p.session, p.share_id, state, result.reason, result.code, p.difficulty);
}

void Cluster::SendVerdictLocked(uint64_t session, uint64_t share_id, shares::ShareState state,
                                const std::string& reason, int pool_code, double difficulty) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  v1::MasterMessage msg;
  v1::ShareVerdict* v = msg.mutable_share_verdict();
  v->set_share_id(share_id);
  v->set_state(ToProto(state));
  v->set_reason(reason);
  v->set_pool_code(pool_code);
  if (state == shares::ShareState::kAccepted) v->set_difficulty(difficulty);
  it->second->sink->Send(std::move(msg));
}

}  // namespace synth::service

namespace synth::service {

std::pair<double, size_t> Cluster::SharePathMs(double p) const {
  std::vector<double> v;
  {
    absl::MutexLock lock(&latency_mu_);
    v.assign(share_path_ms_.begin(), share_path_ms_.end());
  }
  if (v.empty()) return {0, 0};
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return {v[i], v.size()};
}

}  // namespace synth::service
