// File: master/shares/share_ledger.h
//
// The master's share ledger: every share a source reports is counted here exactly once, in
// exactly one state of the one table (proto/share_states.h), and answered with exactly one
// verdict. A source is anything that reports shares under its own ids: a worker's gRPC stream
// today (service::Cluster), a downstream Stratum miner's connection tomorrow; both use the same
// calls. The ledger holds
//   - the totals and the counts of each source (found = sum of states, docs/CLUSTER.md);
//   - the shares submitted upstream and waiting for the pool (tickets);
//   - the verdicts of recent shares under (source identity, share id), so that a share sent
//     again after a reconnect is answered with its first verdict instead of being judged again
//     (docs/CLUSTER.md "Resubmission"): at most `remember_shares` verdicts, none older than
//     `remember_for`; a share still waiting for the pool is never forgotten;
//   - each source's share rate-limit bucket;
//   - the latest verdicts for `synthctl shares`.
//
// A share's path through it:
//
//   ShareLedger ledger({}, &clock);
//   ledger.Attach("w1", session, &sink);                   // a source (re)connects
//   LedgerShare s{.source = "w1", .connection = session, .share_id = 42, .fingerprint = f};
//   if (ledger.Resend(s)) return;                          // seen before: answered already
//   if (!ledger.TakeToken("w1", rate_hps, difficulty)) return ledger.Decide(s, {...LIMITED});
//   ... validate; a final state: ledger.Decide(s, verdict); return;
//   uint64_t ticket = ledger.Submit(s, difficulty);        // found, pending
//   upstream->Submit(..., [&](const SubmitResult& r) { ledger.Resolve(ticket, r); });
//   ledger.Detach("w1", session);                          // its stream ended
//
// Verdicts go to the sink of the source's current connection (Attach), whichever connection
// the share came on: the answer to a share sent before a reconnect reaches the worker on its
// new stream. A verdict already delivered on a connection is not delivered there again.
//
// Per-pool counts (several upstreams) would be one more key on the tickets; nothing else here
// depends on there being one pool.
//
// Thread-safe. Lock order: service::Cluster's mutex → this ledger's → the VerdictSinks'.
#ifndef SYNTH_MASTER_SHARES_SHARE_LEDGER_H_
#define SYNTH_MASTER_SHARES_SHARE_LEDGER_H_

#include <cstdint>
#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "master/jobs/upstream.h"
#include "synth/v1/control.pb.h"
#include "synth/v1/worker.pb.h"

namespace synth::shares {

// The answer to one share.
struct Verdict {
  uint64_t share_id = 0;
  v1::ShareState state = v1::SHARE_STATE_UNSPECIFIED;  // A final state.
  std::string reason;     // Why, in words (the pool's message for pool answers).
  int pool_code = 0;      // The pool's error code, 0 if none.
  double difficulty = 0;  // The share difficulty it was checked against.
};

// Where a source's verdicts go. Deliver is called with the ledger's mutex (and maybe the
// Cluster's) held: it must only queue and return, and never call back into the ledger.
class VerdictSink {
 public:
  virtual ~VerdictSink() = default;
  virtual void Deliver(const Verdict& verdict) = 0;
};

// One share as the ledger sees it.
struct LedgerShare {
  std::string source;        // The sender's stable identity (a worker's worker_id).
  uint64_t connection = 0;   // The connection it came on (a worker's session id), > 0.
  uint64_t share_id = 0;     // The sender's id for it.
  uint64_t fingerprint = 0;  // A hash of what it claims (unit, midstate, job, nonce): a share
                             // that reuses an id with other content is a new share.
  std::string device;        // For the recent-shares list.
  std::string job_key;
  uint32_t nonce = 0;
  double hash_difficulty = 0;  // diff1 / its hash once it met its target (ShareCheck), else 0.
};

// Returns the ledger state of the pool's answer: accepted; stale (the pool or client said so, or
// code 21); pool_down (never reached the pool); timed_out (sent, never answered); rejected
// otherwise.
v1::ShareState StateOf(const jobs::SubmitResult& result);

class ShareLedger {
 public:
  struct Options {
    size_t remember_shares = 100000;                  // Verdicts kept for resends, at most...
    absl::Duration remember_for = absl::Minutes(10);  // ...and for at most this long.
    size_t recent_shares = 1000;                      // Verdicts kept for FillShares.
    // Share flood limit per source, a token bucket (docs/DESIGN.md §6): a share beyond it is
    // not verified but counted `rate_limited` and answered SHARE_STATE_RATE_LIMITED, and the
    // source is flagged for a minute. The allowed rate is the larger of max_share_rate and 8x
    // the share rate that the source's hash rate and the current share difficulty make
    // plausible, capped at 64 x max_share_rate; the bucket holds share_burst_seconds of it.
    double max_share_rate = 1000;  // Shares/s per source; 0: no limit.
    double share_burst_seconds = 2;
  };

  ShareLedger(Options options, const Clock* clock);

  // Makes `sink` the destination of `source`'s verdicts, from its connection `connection`
  // (replacing an earlier connection of the same source).
  void Attach(const std::string& source, uint64_t connection, VerdictSink* sink);
  // Ends `connection` of `source` (nothing if another connection replaced it): its verdicts
  // are kept for a resend, not delivered. After Detach returns, `sink` is never called again.
  void Detach(const std::string& source, uint64_t connection);

  // True when `share` (same source, id and fingerprint) was reported before: its first verdict
  // is delivered again on this connection (unless already delivered here), or will be when the
  // pool answers. Counted `resent`, not found. False for a share the ledger does not know.
  bool Resend(const LedgerShare& share);
  // Counts a new share as found and in `verdict.state` (final), delivers and remembers it.
  void Decide(const LedgerShare& share, Verdict verdict);
  // Counts a new share as found and pending (submitted upstream with `difficulty`); returns the
  // ticket for Resolve.
  uint64_t Submit(const LedgerShare& share, double difficulty);
  // Records the pool's answer to a ticket: pending → its final state, delivered to the source's
  // current connection. Unknown tickets are ignored.
  void Resolve(uint64_t ticket, const jobs::SubmitResult& result);

  // Takes one token of `source`'s share bucket (Options::max_share_rate), sized for a source
  // hashing `rate_hps` at share difficulty `difficulty`; false when it is empty: the share is
  // over the limit (logged once a minute per source).
  bool TakeToken(const std::string& source, double rate_hps, double difficulty);
  // Forgets verdicts older than remember_for and sources left with nothing. Call now and then.
  void Expire();

  // Views.
  v1::ShareCounts Totals() const;
  // The counts of `source` (since its oldest remembered share, across reconnects).
  v1::ShareCounts CountsOf(const std::string& source) const;
  // True when a share of `source` was over its rate limit within `window`.
  bool RateLimitedWithin(const std::string& source, absl::Duration window) const;
  // The totals and the `limit` latest verdicts, newest first.
  void FillShares(uint32_t limit, v1::SharesResponse* out) const;
  // Verdicts remembered for resends (pending shares included).
  size_t remembered() const;
  // The highest hash_difficulty of a new share since start (cgminer's "Best Share"); 0 if none.
  double BestDifficulty() const;

 private:
  struct Entry {
    uint64_t fingerprint = 0;
    uint64_t seq = 0;             // Tells this entry from a later one under the same id.
    bool pending = false;         // Waiting for the pool.
    Verdict verdict;              // Once final.
    uint64_t delivered_on = 0;    // Connection the verdict was last delivered on (0: none).
  };
  struct Source {
    uint64_t connection = 0;      // Current connection (0: none).
    VerdictSink* sink = nullptr;  // Its sink.
    v1::ShareCounts counts;
    absl::flat_hash_map<uint64_t, Entry> shares;  // By share id.
    size_t tickets = 0;           // Shares waiting for the pool.
    double tokens = -1;           // Rate-limit bucket; < 0: full (never used).
    absl::Time refilled;
    absl::Time limited_at = absl::InfinitePast();
  };
  struct Ticket {
    LedgerShare share;
    uint64_t seq = 0;
    double difficulty = 0;
  };
  struct Remembered {  // A final verdict, in the order it became final.
    std::string source;
    uint64_t share_id = 0;
    uint64_t seq = 0;
    absl::Time at;
  };

  // Adds a new share's entry (replacing one under the same id) and counts it found.
  Entry& AddLocked(const LedgerShare& share, bool pending) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts `state` for `source` and in the totals.
  void CountLocked(Source& source, v1::ShareState state, int64_t n, double difficulty)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes `entry` final: delivers it to the source's connection, lists and remembers it.
  void FinishLocked(const LedgerShare& share, Source& source, Entry& entry)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds a verdict to the recent-shares list.
  void RecordLocked(const LedgerShare& share, const Verdict& verdict)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DeliverLocked(Source& source, Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets remembered verdicts beyond the bounds.
  void TrimLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Forgets `source` when it has no connection, no remembered share and no ticket.
  void MaybeForgetLocked(const std::string& source) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const Clock* const clock_;

  mutable absl::Mutex mu_;
  v1::ShareCounts totals_ ABSL_GUARDED_BY(mu_);
  double best_difficulty_ ABSL_GUARDED_BY(mu_) = 0;
  absl::node_hash_map<std::string, Source> sources_ ABSL_GUARDED_BY(mu_);  // Stable refs.
  absl::flat_hash_map<uint64_t, Ticket> tickets_ ABSL_GUARDED_BY(mu_);
  std::deque<Remembered> remembered_ ABSL_GUARDED_BY(mu_);  // Oldest first.
  std::deque<v1::ShareRecord> recent_ ABSL_GUARDED_BY(mu_);  // Newest at the back.
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace synth::shares

#endif  // SYNTH_MASTER_SHARES_SHARE_LEDGER_H_
