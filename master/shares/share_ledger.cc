#include "master/shares/share_ledger.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/logging.h"
#include "proto/share_states.h"

namespace synth::shares {

v1::ShareState StateOf(const jobs::SubmitResult& result) {
  if (result.accepted) return v1::SHARE_STATE_ACCEPTED;
  if (result.stale || result.code == 21) return v1::SHARE_STATE_STALE;  // 21: job not found.
  if (result.not_sent) return v1::SHARE_STATE_POOL_DOWN;
  if (result.timed_out) return v1::SHARE_STATE_TIMED_OUT;
  return v1::SHARE_STATE_REJECTED;
}

ShareLedger::ShareLedger(Options options, const Clock* clock)
    : options_(options), clock_(clock) {}

void ShareLedger::Attach(const std::string& source, uint64_t connection, VerdictSink* sink) {
  absl::MutexLock lock(&mu_);
  Source& s = sources_[source];
  s.connection = connection;
  s.sink = sink;
}

void ShareLedger::Detach(const std::string& source, uint64_t connection) {
  absl::MutexLock lock(&mu_);
  auto it = sources_.find(source);
  if (it == sources_.end() || it->second.connection != connection) return;
  it->second.connection = 0;
  it->second.sink = nullptr;
  MaybeForgetLocked(source);
}

bool ShareLedger::Resend(const LedgerShare& share) {
  absl::MutexLock lock(&mu_);
  auto s = sources_.find(share.source);
  if (s == sources_.end()) return false;
  auto e = s->second.shares.find(share.share_id);
  if (e == s->second.shares.end() || e->second.fingerprint != share.fingerprint) return false;
  totals_.set_resent(totals_.resent() + 1);
  s->second.counts.set_resent(s->second.counts.resent() + 1);
  // Pending: the pool's answer goes to the current connection. Final and already delivered on
  // this connection: the resend crossed the verdict, which the source receives anyway.
  if (!e->second.pending && e->second.delivered_on != s->second.connection) {
    DeliverLocked(s->second, e->second);
  }
  VLOG(1) << share.source << " share " << share.share_id << " sent again: "
          << (e->second.pending ? "still pending" : proto::ShareStateName(e->second.verdict.state));
  return true;
}

void ShareLedger::Decide(const LedgerShare& share, Verdict verdict) {
  absl::MutexLock lock(&mu_);
  Entry& e = AddLocked(share, /*pending=*/false);
  verdict.share_id = share.share_id;
  e.verdict = std::move(verdict);
  Source& s = sources_.at(share.source);
  CountLocked(s, e.verdict.state, 1, e.verdict.difficulty);
  FinishLocked(share, s, e);
  TrimLocked(clock_->Now());
}

uint64_t ShareLedger::Submit(const LedgerShare& share, double difficulty) {
  absl::MutexLock lock(&mu_);
  Entry& e = AddLocked(share, /*pending=*/true);
  Source& s = sources_.at(share.source);
  CountLocked(s, v1::SHARE_STATE_PENDING, 1, 0);
  ++s.tickets;
  uint64_t ticket = next_ticket_++;
  tickets_[ticket] = Ticket{share, e.seq, difficulty};
  return ticket;
}

void ShareLedger::Resolve(uint64_t ticket, const jobs::SubmitResult& result) {
  absl::MutexLock lock(&mu_);
  auto t = tickets_.find(ticket);
  if (t == tickets_.end()) return;
  Ticket k = std::move(t->second);
  tickets_.erase(t);
  v1::ShareState state = StateOf(result);
  if (state != v1::SHARE_STATE_ACCEPTED) {
    LOG(WARNING) << "share of " << k.share.source << " not accepted by the pool: "
                 << proto::ShareStateName(state) << " " << result.code << " " << result.reason;
  }
  Source& s = sources_.at(k.share.source);  // Kept while it has tickets.
  --s.tickets;
  CountLocked(s, v1::SHARE_STATE_PENDING, -1, 0);
  CountLocked(s, state, 1, k.difficulty);
  Verdict v{k.share.share_id, state, result.reason, result.code, k.difficulty};
  auto e = s.shares.find(k.share.share_id);
  if (e != s.shares.end() && e->second.seq == k.seq) {
    e->second.pending = false;
    e->second.verdict = std::move(v);
    FinishLocked(k.share, s, e->second);
  } else {
    // Forgotten, or its id now names a newer share (a restarted source counts from 1 again):
    // counted and listed, not delivered, since the id means another share now.
    RecordLocked(k.share, v);
    MaybeForgetLocked(k.share.source);
  }
  TrimLocked(clock_->Now());
}

ShareLedger::Entry& ShareLedger::AddLocked(const LedgerShare& share, bool pending) {
  Source& s = sources_[share.source];
  Entry& e = s.shares[share.share_id];  // A reused id: the newer share replaces the older.
  e = Entry{.fingerprint = share.fingerprint, .seq = next_seq_++, .pending = pending};
  totals_.set_found(totals_.found() + 1);
  s.counts.set_found(s.counts.found() + 1);
  best_difficulty_ = std::max(best_difficulty_, share.hash_difficulty);
  return e;
}

void ShareLedger::CountLocked(Source& source, v1::ShareState state, int64_t n,
                              double difficulty) {
  for (v1::ShareCounts* c : {&totals_, &source.counts}) {
    proto::CountShare(state, c, n);
    if (state == v1::SHARE_STATE_ACCEPTED) {
      c->set_accepted_difficulty(c->accepted_difficulty() + difficulty);
    }
  }
}

void ShareLedger::FinishLocked(const LedgerShare& share, Source& source, Entry& entry) {
  DeliverLocked(source, entry);
  RecordLocked(share, entry.verdict);
  remembered_.push_back({share.source, share.share_id, entry.seq, clock_->Now()});
}

void ShareLedger::RecordLocked(const LedgerShare& share, const Verdict& v) {
  VLOG(1) << share.source << " share " << share.share_id << ": "
          << proto::ShareStateName(v.state) << " (" << v.reason << ")";
  v1::ShareRecord r;
  r.set_unix_s(absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch()));
  r.set_worker_id(share.source);
  r.set_device(share.device);
  r.set_share_id(share.share_id);
  r.set_job_key(share.job_key);
  r.set_nonce(share.nonce);
  r.set_difficulty(v.difficulty);
  r.set_state(v.state);
  r.set_reason(v.reason.substr(0, 256));  // Pool messages are untrusted: bounded.
  r.set_pool_code(v.pool_code);
  recent_.push_back(std::move(r));
  if (recent_.size() > options_.recent_shares) recent_.pop_front();
}

void ShareLedger::DeliverLocked(Source& source, Entry& entry) {
  if (source.sink == nullptr) return;  // Kept for the resend after the source reconnects.
  source.sink->Deliver(entry.verdict);
  entry.delivered_on = source.connection;
}

void ShareLedger::TrimLocked(absl::Time now) {
  while (!remembered_.empty() && (remembered_.size() > options_.remember_shares ||
                                  now - remembered_.front().at > options_.remember_for)) {
    Remembered r = std::move(remembered_.front());
    remembered_.pop_front();
    auto s = sources_.find(r.source);
    if (s == sources_.end()) continue;
    auto e = s->second.shares.find(r.share_id);
    if (e != s->second.shares.end() && e->second.seq == r.seq) s->second.shares.erase(e);
    MaybeForgetLocked(r.source);
  }
}

void ShareLedger::MaybeForgetLocked(const std::string& source) {
  auto s = sources_.find(source);
  if (s != sources_.end() && s->second.sink == nullptr && s->second.shares.empty() &&
      s->second.tickets == 0) {
    sources_.erase(s);
  }
}

bool ShareLedger::TakeToken(const std::string& source, double rate_hps, double difficulty) {
  if (!(options_.max_share_rate > 0)) return true;
  // Shares/s that the source's rate makes plausible at the current difficulty, with slack.
  double plausible = difficulty > 0 ? 8 * rate_hps / (difficulty * 4294967296.0) : 0;
  double rate = std::clamp(std::isfinite(plausible) ? plausible : 0, options_.max_share_rate,
                           64 * options_.max_share_rate);
  absl::MutexLock lock(&mu_);
  Source& s = sources_[source];
  double burst = rate * std::max(options_.share_burst_seconds, 1.0 / rate);
  absl::Time now = clock_->Now();
  s.tokens = s.tokens < 0 ? burst
                          : std::min(burst, s.tokens + rate * absl::ToDoubleSeconds(now - s.refilled));
  s.refilled = now;
  if (s.tokens >= 1) {
    s.tokens -= 1;
    return true;
  }
  if (now - s.limited_at > absl::Seconds(60)) {
    LOG(WARNING) << source << " sends shares faster than " << rate
                 << "/s: the excess is counted rate_limited, not verified";
  }
  s.limited_at = now;
  return false;
}

void ShareLedger::Expire() {
  absl::MutexLock lock(&mu_);
  TrimLocked(clock_->Now());
}

v1::ShareCounts ShareLedger::Totals() const {
  absl::MutexLock lock(&mu_);
  return totals_;
}

v1::ShareCounts ShareLedger::CountsOf(const std::string& source) const {
  absl::MutexLock lock(&mu_);
  auto s = sources_.find(source);
  return s == sources_.end() ? v1::ShareCounts() : s->second.counts;
}

bool ShareLedger::RateLimitedWithin(const std::string& source, absl::Duration window) const {
  absl::MutexLock lock(&mu_);
  auto s = sources_.find(source);
  return s != sources_.end() && clock_->Now() - s->second.limited_at <= window;
}

void ShareLedger::FillShares(uint32_t limit, v1::SharesResponse* out) const {
  absl::MutexLock lock(&mu_);
  *out->mutable_totals() = totals_;
  double now = absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch());
  size_t n = std::min<size_t>(limit, recent_.size());
  for (auto it = recent_.rbegin(); n > 0; ++it, --n) {
    v1::ShareRecord* r = out->add_recent();
    *r = *it;
    r->set_age_s(std::max(0.0, now - it->unix_s()));
  }
}

size_t ShareLedger::remembered() const {
  absl::MutexLock lock(&mu_);
  size_t n = 0;
  for (const auto& [name, s] : sources_) n += s.shares.size();
  return n;
}

double ShareLedger::BestDifficulty() const {
  absl::MutexLock lock(&mu_);
  return best_difficulty_;
}

}  // namespace synth::shares
