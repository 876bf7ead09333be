// File: master/hub/vardiff.h
//
// Variable difficulty for one downstream Stratum connection (docs/HUB.md "Difficulty"): aims the
// miner's share rate at `target_per_min` shares a minute by retargeting no more often than every
// `retarget_every`, within [floor, ceiling]. The floor is the port's minimum raised by the
// miner's own requests (BIP 310 minimum-difficulty, mining.suggest_difficulty); the ceiling is
// the pool's difficulty, so a share the pool would take is never hidden below the miner's
// target (unless the miner itself asks for a higher minimum).
//
//   Vardiff v({.target_per_min = 20}, /*start=*/pool_difficulty, clock.Now());
//   v.OnShare(terms_difficulty);                       // each valid share the miner sends
//   if (std::optional<double> d = v.Retarget(now)) session.SendDifficulty(*d);
//   double hps = v.measured_rate_hps();                // its rate, from its shares
//
// A window's estimate: difficulty × (shares per minute / target). It is applied only when it
// moves the difficulty by more than the dead band (Poisson noise over a 30 s window at 20
// shares a minute is about ±30%); a window without any share quarters the difficulty.
//
// Thread-compatible: one connection's thread makes every call. Time comes in as arguments.
#ifndef SYNTH_MASTER_HUB_VARDIFF_H_
#define SYNTH_MASTER_HUB_VARDIFF_H_

#include <optional>

#include "absl/time/time.h"

namespace synth::hub {

struct VardiffOptions {
  double target_per_min = 20;                         // Shares a minute per connection.
  absl::Duration retarget_every = absl::Seconds(30);  // Minimum time between retargets.
  double floor = 1e-6;                                // Lowest difficulty ever sent.
  double dead_band = 1.5;  // Keep the difficulty while the estimate is within [d/x, d·x].
};

class Vardiff {
 public:
  Vardiff(const VardiffOptions& options, double start, absl::Time now);

  // Counts one valid share checked at `difficulty` (its job's, which may differ from the
  // current one for a job notified before the last retarget).
  void OnShare(double difficulty);

  // Returns the new difficulty when a retarget is due and the estimate left the dead band
  // (the caller sends it; it applies from the next notify), else nullopt.
  std::optional<double> Retarget(absl::Time now);

  // Sets the bounds: `miner_floor` (0: none) raises the options' floor, `ceiling` (0: none) is
  // the pool's difficulty. Returns the clamped difficulty when it changed.
  std::optional<double> SetBounds(double miner_floor, double ceiling);

  // Jumps to `difficulty` (clamped) now, e.g. a miner's suggestion; returns it when it changed.
  std::optional<double> Suggest(double difficulty, absl::Time now);

  double difficulty() const { return difficulty_; }
  // Hashes/s implied by the shares of the last completed window (0 before the first).
  double measured_rate_hps() const { return rate_hps_; }

 private:
  double Clamp(double d) const;
  void Restart(absl::Time now);

  const VardiffOptions options_;
  double difficulty_;
  double miner_floor_ = 0;
  double ceiling_ = 0;
  absl::Time window_start_;
  double window_work_ = 0;  // Sum of share difficulties in the window.
  int window_shares_ = 0;
  double rate_hps_ = 0;
};

}  // namespace synth::hub

#endif  // SYNTH_MASTER_HUB_VARDIFF_H_
