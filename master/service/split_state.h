// File: master/service/split_state.h
//
// The pool split as the master runs it (docs/CLUSTER.md "Pool split"): which pools are live,
// the target shares the lease manager cuts leases by (re-evaluated from the pools' health and
// the clock on every job and tick), and the per-pool figures of synthctl pools and /metrics.
// Without a split (one pool, or an ordered failover list) every call does nothing and Status()
// has no pools.
//
//   SplitState split(options.split, &core);
//   std::vector<bool> health = split.ReadHealth();     // Without core.mu.
//   { absl::MutexLock l(&core.mu); if (split.SetHealthLocked(health)) ...grant waiting... }
//
// Thread-safe as annotated: the *Locked calls under the Core's mutex; ReadHealth without it;
// CountAccepted and Status from any thread without it.
#ifndef SYNTH_MASTER_SERVICE_SPLIT_STATE_H_
#define SYNTH_MASTER_SERVICE_SPLIT_STATE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "master/lease/pool_split.h"
#include "master/service/core.h"

namespace synth::service {

// One pool of the split, for synthctl pools and /metrics.
struct PoolSplitStatus {
  double weight = 0;               // Weight in force now (the schedule window's or the base one).
  int level = 0;                   // Fallback level.
  double target_share = 0;         // Share of the hashes it should get now (0..1).
  bool live = false;               // Connected with a current job.
  uint64_t hashes_assigned = 0;    // Leased (net of units returned) + downstream credit.
  double accepted_difficulty = 0;  // Sum of the difficulty of its accepted shares.
};
struct SplitStatus {
  std::vector<PoolSplitStatus> pools;  // By pool index; empty without a split.
  int level = -1;                      // The level doing the work (-1: none).
  int window = -1;                     // Schedule window in force (-1: base weights).
  bool paused = false;                 // The window in force has all weights 0.
};

class SplitState {
 public:
  // `config`: the upstream's pools' weights, levels and schedule; nullopt: no split.
  SplitState(const std::optional<lease::PoolSplitConfig>& config, Core* core);

  bool enabled() const { return policy_.has_value(); }
  // Pools the jobs may come from: the split's, or 1.
  size_t pool_count() const { return policy_.has_value() ? policy_->config().pool_count() : 1; }

  // Reads which pools are connected from the upstream. Call without the Core's mutex (the
  // upstream may hold its own lock while it calls into the Cluster).
  std::vector<bool> ReadHealth() const;
  // Takes the pools' health (from ReadHealth) and re-evaluates the shares.
  // Returns true when they changed (workers waiting for work may get some now).
  bool SetHealthLocked(std::vector<bool> connected) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  // Pool `pool` just sent a job, so it is connected; re-evaluates as SetHealthLocked does.
  bool OnJobLocked(size_t pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  // Counts a share pool `pool` accepted.
  void CountAccepted(size_t pool, double difficulty) ABSL_LOCKS_EXCLUDED(accepted_mu_);
  // Returns the split's figures; no pools without a split.
  SplitStatus Status() const ABSL_LOCKS_EXCLUDED(core_->mu);

 private:
  bool UpdateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  bool LiveLocked(size_t pool) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);

  Core* const core_;
  const std::optional<lease::SplitPolicy> policy_;
  std::vector<bool> connected_ ABSL_GUARDED_BY(core_->mu);  // By pool, as last read.
  lease::SplitTargets targets_ ABSL_GUARDED_BY(core_->mu);
  mutable absl::Mutex accepted_mu_;  // Taken alone, or after the Core's mutex.
  std::vector<double> accepted_difficulty_ ABSL_GUARDED_BY(accepted_mu_);  // By pool.
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_SPLIT_STATE_H_
