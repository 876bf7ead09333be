// File: master/stratum/failover_policy.h
//
// Which pool the master's upstream client connects to, and when. A state machine fed with
// events (a connection became ready, was lost and why, the probe of the preferred pool is ready
// or failed, an operator switch, a pool redirect) and a Clock; it does no I/O and knows nothing
// of the wire protocol, so a Stratum V1 session, a Stratum V2 one or several pools at once can
// sit behind the same policy. The client (client.cc) reports events and runs one timer for
// NextWake(); tests drive the policy on a FakeClock (failover_policy_test.cc).
//
//   FailoverPolicy policy(FailoverOptions{}, /*pools=*/2, clock, /*seed=*/1);
//   policy.Start();                                        // preferred pool, now
//   while (std::optional<FailoverAction> a = policy.TakeDue()) Open(a->pool, a->probe);
//   timer.ArmAt(policy.NextWake());                        // then TakeDue() again
//   policy.OnReady();                                      // the active connection is ready
//   LossOutcome o = policy.OnLost(LossReason::kStalled);   // o.failed_over, o.delay
//   policy.OnProbeReady();                                 // the probe replaces the active
//
// Rules (docs/STRATUM.md "Failover policy"):
// - Start and an operator switch connect to the preferred pool at once.
// - A failed attempt or a lost session counts a failure of its pool and tries again after a
//   jittered exponential backoff: backoff_initial x multiplier^(n-1), capped at backoff_max,
//   +-jitter, where n counts failed attempts since the last ready session on any pool (so the
//   delay keeps growing while every pool is down, and a first failure retries quickly).
// - After failover_after consecutive failures of a pool (a refused login counts as all of them)
//   the next pool in the list is tried; the first visit of a pool in an outage waits only
//   backoff_initial.
// - Once ready on a pool other than the preferred one, the preferred pool is probed after the
//   return hold (primary_retry) and again the hold after each failed probe; a probe that is
//   ready (with work) becomes the active connection. A preferred pool lost again within
//   stable_after of the return is flapping: each such loss doubles the hold, up to
//   max_return_hold; staying up stable_after resets it.
// - A redirect (the pool's own reconnect request) reconnects to the same pool after its wait and
//   counts no failure.
//
// Thread-compatible: the client calls it from its io thread only.
#ifndef SYNTH_MASTER_STRATUM_FAILOVER_POLICY_H_
#define SYNTH_MASTER_STRATUM_FAILOVER_POLICY_H_

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"

namespace synth::stratum {

struct FailoverOptions {
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(60);
  double backoff_multiplier = 1.6;
  double backoff_jitter = 0.2;          // +- fraction of each delay.
  int failover_after = 2;               // Consecutive failures of a pool before the next one.
  absl::Duration primary_retry = absl::Seconds(30);  // Return hold: on a backup, probe after.
  absl::Duration stable_after = absl::Minutes(5);    // Up this long after a return: not flapping.
  absl::Duration max_return_hold = absl::Minutes(15);
};

// Why the active connection ended (for the failure count, logs and status).
enum class LossReason {
  kConnectFailed,    // TCP/TLS connect or the transport failed before the handshake finished.
  kHandshakeFailed,  // The pool did not complete the handshake in time.
  kRefused,          // The pool refused our login, or its SV2 certificate did not verify:
                     // retrying the same pool soon cannot help.
  kDropped,          // A ready session was closed by the pool or the network.
  kStalled,          // A ready session went silent for the stall timeout.
  kSubmitTimedOut,   // A submit went unanswered for the submit timeout.
  kBadInput,         // The pool sent something the session cannot trust.
};

// Returns a short lower-case name ("stalled").
const char* LossReasonName(LossReason reason);

// Something the client must do now.
struct FailoverAction {
  int pool = 0;
  bool probe = false;  // A probe of the preferred pool beside the active connection.
};

// What OnLost decided.
struct LossOutcome {
  bool failed_over = false;  // Moved to another pool (`pool` is the new current()).
  int from = 0;              // The pool that was lost.
  int pool = 0;              // The pool the next attempt goes to.
  absl::Duration delay;      // Until that attempt.
};

class FailoverPolicy {
 public:
  // `pools` >= 1; `clock` must outlive the policy; `seed` seeds the jitter (0: random).
  FailoverPolicy(FailoverOptions options, int pools, const Clock* clock, uint64_t seed);

  // Schedules the first connection, to the preferred pool, now.
  void Start();
  // Returns the action due at the clock's now, if any, and records it as begun. Call in a loop
  // until it returns nullopt.
  std::optional<FailoverAction> TakeDue();
  // Returns when the next action falls due; InfiniteFuture when none is scheduled.
  absl::Time NextWake() const;

  // The active connection (to current()) is ready.
  void OnReady();
  // The active connection ended: an attempt that failed or a session that was lost.
  LossOutcome OnLost(LossReason reason);
  // The pool asked to be reconnected to after `wait`; no failure is counted.
  void OnRedirect(absl::Duration wait);
  // The probe is ready and has work: it becomes the active connection, on the preferred pool.
  void OnProbeReady();
  // The probe failed; the next one waits the return hold.
  void OnProbeFailed();
  // Operator: makes `pool` preferred. Returns true when the client must leave its active
  // connection (if any) and connect to `pool` now (scheduled; TakeDue returns it); false when
  // it already is on `pool` and only the preference changed. Any probe is cancelled.
  bool SwitchTo(int pool, bool force = false);
  // Appends a pool at the end of the list; returns its index.
  int AddPool();

  int current() const { return current_; }
  int preferred() const { return preferred_; }
  // The pool being probed, or -1.
  int probing() const { return probe_ == Probe::kRunning ? preferred_ : -1; }
  bool ready() const { return active_ == Active::kReady; }
  int failures(int pool) const { return failures_[pool]; }
  // Failed attempts since the last ready session.
  int attempts() const { return attempts_; }
  // The wait before the next probe of the preferred pool, with any flap penalty.
  absl::Duration ReturnHold() const;

 private:
  enum class Active { kIdle, kWaiting, kConnecting, kReady };
  enum class Probe { kNone, kScheduled, kRunning };

  absl::Duration Backoff(int attempts);
  void ScheduleProbe(absl::Time now);

  const FailoverOptions options_;
  const Clock* const clock_;
  std::mt19937_64 rng_;
  int pools_;
  int current_ = 0;
  int preferred_ = 0;
  Active active_ = Active::kIdle;
  absl::Time connect_at_ = absl::InfiniteFuture();  // While kWaiting.
  Probe probe_ = Probe::kNone;
  absl::Time probe_at_ = absl::InfiniteFuture();    // While kScheduled.
  std::vector<int> failures_;    // Consecutive failures per pool.
  std::vector<bool> failed_;     // Failed since the last ready session (this outage).
  int attempts_ = 0;
  absl::Time returned_at_ = absl::InfinitePast();   // Last return to the preferred pool.
  int flaps_ = 0;
};

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_FAILOVER_POLICY_H_
