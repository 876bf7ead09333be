// File: worker/conn/master_failover.h
//
// Which master a worker streams to: a state machine over events (a stream was welcomed, a
// stream or attempt ended, a health check of an earlier master) and a Clock, with no I/O. The
// master connection (master_connection.h) reports events and runs timers for the deadlines it
// returns; tests drive it on a FakeClock (master_failover_test.cc).
//
//   MasterFailoverPolicy policy(/*masters=*/2, MasterFailoverOptions{}, clock);
//   int m = policy.current();                 // connect to masters[m]
//   policy.OnWelcomed();                      // that stream is up
//   int next = policy.OnStreamEnded();        // lost: retry `next` (== current(), or moved on)
//   policy.OnHealth(0, channel_ready);        // while on a later master, every probe_interval
//   if (int back = policy.ReturnTo(); back >= 0) MoveTo(back);
//
// Rules (docs/WORKER.md "Master failover"):
// - Masters are in the order given: the first is preferred.
// - A stream that ends starts the failover clock of its master (an attempt that never got a
//   Welcome started it at the attempt). Attempts to the same master continue (with the
//   connection's backoff) until failover_after has passed since then with no Welcome; the next
//   one goes to the next master in the list (wrapping around), whose clock starts then. An
//   attempt still pending at FailoverDeadline() is abandoned, so a master that swallows
//   packets (a partition) cannot hold the worker beyond failover_after.
// - While welcomed on a master that is not the first, every earlier master is health-checked
//   every probe_interval; one that has been healthy at every check for return_after is
//   returned to (the earliest such). One unhealthy check restarts its hold.
//
// Thread-compatible: the connection calls it under its own lock.
#ifndef SYNTH_WORKER_CONN_MASTER_FAILOVER_H_
#define SYNTH_WORKER_CONN_MASTER_FAILOVER_H_

#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"

namespace synth::worker {

struct MasterFailoverOptions {
  absl::Duration failover_after = absl::Seconds(2);   // --master-failover-seconds
  absl::Duration return_after = absl::Seconds(30);    // --master-return-seconds
  absl::Duration probe_interval = absl::Seconds(1);   // Health checks of earlier masters.
};

class MasterFailoverPolicy {
 public:
  // `masters` >= 1; `clock` must outlive the policy. The first attempt goes to master 0 and its
  // failover clock starts now.
  MasterFailoverPolicy(int masters, MasterFailoverOptions options, const Clock* clock);

  // The master to stream to.
  int current() const { return current_; }
  int masters() const { return static_cast<int>(healthy_since_.size()); }
  bool welcomed() const { return welcomed_; }

  // A stream to current() was welcomed.
  void OnWelcomed();
  // The stream or attempt to current() ended. Returns the master of the next attempt: current()
  // again, or the next one when failover_after has passed without a Welcome (then current()
  // changes and moved() says so).
  int OnStreamEnded();
  // An attempt to current() has been pending since before this time plus failover_after: the
  // connection abandons it at this deadline. InfiniteFuture while welcomed.
  absl::Time FailoverDeadline() const;

  // A health check of master `index` (< current()) found it `healthy` or not.
  void OnHealth(int index, bool healthy);
  // Returns the masters to health-check now (those before current(), while welcomed).
  std::vector<int> ToProbe() const;
  // Returns when the next health checks fall due; InfiniteFuture when none.
  absl::Time NextProbe() const;
  // Records that the checks due now were made (the next are probe_interval later).
  void Probed();
  // Returns the earliest master that has been healthy for return_after, or -1.
  int ReturnTo() const;
  // Moves to `index` (a planned return; the connection closed the current stream first).
  void MoveTo(int index);
  // Returns how many times the worker moved to another master.
  int moves() const { return moves_; }

 private:
  const MasterFailoverOptions options_;
  const Clock* const clock_;
  int current_ = 0;
  bool welcomed_ = false;
  absl::Time down_since_;  // Of current(): the loss, the move to it, or the start.
  absl::Time next_probe_ = absl::InfiniteFuture();
  std::vector<absl::Time> healthy_since_;  // InfiniteFuture: not healthy at the last check.
  int moves_ = 0;
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_MASTER_FAILOVER_H_
