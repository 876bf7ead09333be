// The share path of the Cluster: a share sent again is answered by the ledger; a new one is
// rate-limited and validated under the mutex, decided or submitted upstream outside it, and
// answered by the ledger when the pool answers.
#include "absl/time/clock.h"
#include "common/logging.h"
#include "master/service/cluster.h"
#include "master/service/messages.h"

namespace synth::service {

std::optional<Cluster::Submission> Cluster::OnShareLocked(Session& s, const v1::Share& share) {
  shares::LedgerShare ls = LedgerShareOf(s.worker_id, s.id, share);
  if (ledger_.Resend(ls)) return std::nullopt;  // Answered with (or when) its first verdict.
  if (!ledger_.TakeToken(s.worker_id, tuning_.SizingRate(s.id), seen_.difficulty)) {
    ledger_.Decide(ls, {.state = v1::SHARE_STATE_RATE_LIMITED,
                        .reason = "over the share rate limit"});
    return std::nullopt;
  }
  shares::ShareCheck c = validator_.Validate({.worker = s.id,
                                              .unit_id = share.unit_id(),
                                              .midstate_id = share.midstate_id(),
                                              .job_key = share.job_id(),
                                              .nonce = share.nonce(),
                                              .device = share.device()});
  ls.hash_difficulty = c.hash_difficulty;
  if (c.state != v1::SHARE_STATE_STALE && c.state != v1::SHARE_STATE_UNKNOWN_UNIT &&
      c.state != v1::SHARE_STATE_DUPLICATE) {
    tuning_.OnShare(s.id, share.device(), !c.device_error, c.difficulty);
    if (!c.device_error) verified_difficulty_ += c.difficulty;
    if (c.device_error) leases_.SetRate(s.id, tuning_.SizingRate(s.id));
  }
  if (c.state != v1::SHARE_STATE_PENDING) {
    ledger_.Decide(ls, {.state = c.state, .reason = c.reason, .difficulty = c.difficulty});
    return std::nullopt;
  }
  return Submission{ledger_.Submit(ls, c.difficulty), *std::move(c.submit),
                    share.found_unix_us()};
}

void Cluster::SubmitUpstream(Submission sub) {
  if (sub.found_unix_us > 0) {
    share_path_ms_.Add((absl::ToUnixMicros(absl::Now()) - sub.found_unix_us) / 1000.0);
  }
  // The answer goes straight to the ledger: it needs nothing guarded by mu_.
  upstream_->Submit(sub.share, [this, ticket = sub.ticket, pool = sub.share.pool,
                                difficulty = sub.share.difficulty](const jobs::SubmitResult& r) {
    if (r.accepted) CountAccepted(pool, difficulty);
    ledger_.Resolve(ticket, r);
  });
}

}  // namespace synth::service
