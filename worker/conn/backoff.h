// File: worker/conn/backoff.h
//
// Jittered exponential backoff for reconnecting to the master: delays grow by `multiplier` from
// `initial` up to `max`, each randomized by +-`jitter` so that a farm of workers does not
// reconnect in lockstep after a master restart. Reset() after a session is established.
//
//   Backoff backoff(BackoffPolicy{}, /*seed=*/std::random_device{}());
//   absl::Duration wait = backoff.Next();   // ~250 ms, then ~400 ms, ... capped at ~2 s
//   backoff.Reset();                         // connected: the next failure starts small again
//
// Thread-compatible.
#ifndef SYNTH_WORKER_CONN_BACKOFF_H_
#define SYNTH_WORKER_CONN_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace synth::worker {

struct BackoffPolicy {
  // Small on purpose: a restarted master must see its workers back within seconds
  // (mining resumes within 5 s of its return, docs/RELIABILITY.md), and one reconnect attempt per worker per 2 s is cheap.
  absl::Duration initial = absl::Milliseconds(250);
  double multiplier = 1.6;
  double jitter = 0.2;                        // Fraction: each delay is d * [1 - j, 1 + j].
  absl::Duration max = absl::Seconds(2);      // Cap before jitter.
};

class Backoff {
 public:
  Backoff(BackoffPolicy policy, uint64_t seed) : policy_(policy), rng_(seed) {}

  // Returns the delay before the next attempt and grows the base delay.
  absl::Duration Next();
  // Starts over from the initial delay.
  void Reset() { attempts_ = 0; }
  // Returns attempts since the last Reset().
  int Attempts() const { return attempts_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 rng_;
  int attempts_ = 0;
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_BACKOFF_H_
