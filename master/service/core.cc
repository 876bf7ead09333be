// The Core and the workers' share path: a share sent again is answered by the ledger; a new one
// is rate-limited and validated under the mutex, decided or submitted upstream outside it, and
// answered by the ledger when the pool answers.
#include "master/service/core.h"

#include <utility>

#include "absl/time/clock.h"
#include "master/service/messages.h"

namespace synth::service {

Core::Core(const Options& options, const Clock* clock, jobs::Upstream* upstream,
           std::function<void(size_t pool, double difficulty)> on_accepted)
    : clock(clock),
      upstream(upstream),
      ledger(options.ledger, clock),
      jobs(options.jobs),
      leases(options.lease, clock, &jobs),
      tuning(options.tuning, clock),
      validator(&jobs, &leases),
      on_accepted_(std::move(on_accepted)) {}

std::optional<Core::Submission> Core::WorkerShareLocked(uint64_t session,
                                                        const std::string& worker_id,
                                                        const v1::Share& share,
                                                        double pool_difficulty) {
  shares::LedgerShare ls = LedgerShareOf(worker_id, session, share);
  if (ledger.Resend(ls)) return std::nullopt;  // Answered with (or when) its first verdict.
  if (!ledger.TakeToken(worker_id, tuning.SizingRate(session), pool_difficulty)) {
    ledger.Decide(ls, {.state = v1::SHARE_STATE_RATE_LIMITED,
                       .reason = "over the share rate limit"});
    return std::nullopt;
  }
  shares::ShareCheck c = validator.Validate({.worker = session,
                                             .unit_id = share.unit_id(),
                                             .midstate_id = share.midstate_id(),
                                             .job_key = share.job_id(),
                                             .nonce = share.nonce(),
                                             .device = share.device()});
  ls.hash_difficulty = c.hash_difficulty;
  if (c.state != v1::SHARE_STATE_STALE && c.state != v1::SHARE_STATE_UNKNOWN_UNIT &&
      c.state != v1::SHARE_STATE_DUPLICATE) {
    tuning.OnShare(session, share.device(), !c.device_error, c.difficulty);
    if (!c.device_error) verified_difficulty += c.difficulty;
    if (c.device_error) leases.SetRate(session, tuning.SizingRate(session));
  }
  if (c.state != v1::SHARE_STATE_PENDING) {
    ledger.Decide(ls, {.state = c.state, .reason = c.reason, .difficulty = c.difficulty});
    return std::nullopt;
  }
  return Submission{ledger.Submit(ls, c.difficulty), *std::move(c.submit),
                    share.found_unix_us()};
}

void Core::Submit(Submission sub) {
  if (sub.found_unix_us > 0) {
    share_path_ms.Add((absl::ToUnixMicros(absl::Now()) - sub.found_unix_us) / 1000.0);
  }
  // The answer goes straight to the ledger: it needs nothing guarded by mu.
  upstream->Submit(sub.share, [this, ticket = sub.ticket, pool = sub.share.pool,
                               difficulty = sub.share.difficulty](const jobs::SubmitResult& r) {
    if (r.accepted && on_accepted_) on_accepted_(pool, difficulty);
    ledger.Resolve(ticket, r);
  });
}

}  // namespace synth::service
