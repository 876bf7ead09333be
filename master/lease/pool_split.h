// File: master/lease/pool_split.h
//
// The split policy of several active pools (docs/CLUSTER.md "Pool split"): every pool has a
// weight and a fallback level; the first level (lowest number) that has a live pool of positive
// weight gets all the work, split among its live pools by weight; a schedule window may put
// other weights in force. Targets() is a pure function of the time and the pools' health, so the
// caller re-evaluates it for every lease: a pool that goes down loses its share at the next
// lease, and gets it back when it is live again.
//
//   absl::StatusOr<std::optional<PoolSplitConfig>> config =
//       ParseSplitFlags({.weights = "70,30"}, /*pool_count=*/2);
//   SplitPolicy policy(**config);
//   SplitTargets t = policy.Targets(clock->Now(), /*live=*/{true, true});   // 0.7, 0.3
//   SplitTargets t2 = policy.Targets(clock->Now(), {false, true});          // 0, 1
//
// A weight of 0 means no work for that pool while the weight set is in force (a schedule window
// whose weights are all 0 pauses mining). Levels are numbers >= 0; level 0 comes first.
//
// Thread-safety: SplitPolicy is immutable; its const methods may be called from any thread.
#ifndef SYNTH_MASTER_LEASE_POOL_SPLIT_H_
#define SYNTH_MASTER_LEASE_POOL_SPLIT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "master/lease/split_schedule.h"

namespace synth::lease {

// The master's split flags as given (config file, SYNTH_* and command line alike).
struct SplitFlags {
  std::string weights;      // --weights "70,30": one weight per --pool.
  std::string pool_level;   // --pool-level "0,0,1": one level per --pool.
  std::string schedule;     // --schedule: windows separated by ';' (split_schedule.h).
  std::string schedule_tz;  // --schedule-tz: zone of windows without tz=.
};

// One split, validated against the number of pools.
struct PoolSplitConfig {
  std::vector<double> weights;  // Base weights, one per pool, not all zero.
  std::vector<int> levels;      // One per pool, >= 0.
  SplitSchedule schedule;

  size_t pool_count() const { return weights.size(); }
};

// Builds the split of `pool_count` pools from the flags. nullopt when none of weights,
// pool_level and schedule is set: the pools are then an ordered failover list. Defaults: weight
// 1 for every pool; every pool in level 0 when weights are given, else one level per pool in
// the order given (the failover order). INVALID_ARGUMENT naming the flag for bad input.
absl::StatusOr<std::optional<PoolSplitConfig>> ParseSplitFlags(const SplitFlags& flags,
                                                               size_t pool_count);

// What the split asks for now.
struct SplitTargets {
  std::vector<double> shares;  // Per pool: sums to 1, or all 0 (no live pool, or paused).
  int level = -1;              // The level doing the work; -1 when none.
  int window = -1;             // The schedule window in force; -1: the base weights.
  bool paused = false;         // The window in force has all weights 0.

  // True when some pool gets work.
  bool any() const { return level >= 0; }
};

class SplitPolicy {
 public:
  explicit SplitPolicy(PoolSplitConfig config);

  // Returns each pool's target share of the hashes at `now`; live[i] says whether pool i can
  // take work (connected, with a current job). `live` has one entry per pool.
  SplitTargets Targets(absl::Time now, const std::vector<bool>& live) const;

  // Returns the weights in force at `now` (the active window's or the base weights).
  const std::vector<double>& WeightsAt(absl::Time now, int* window) const;

  const PoolSplitConfig& config() const { return config_; }

 private:
  const PoolSplitConfig config_;
};

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_POOL_SPLIT_H_
