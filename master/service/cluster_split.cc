// The pool split of the Cluster (docs/CLUSTER.md "Pool split"): which pools are live, the target
// shares the lease manager cuts leases by, and the per-pool figures of synthctl pools and
// /metrics.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "master/service/cluster.h"

namespace synth::service {
namespace {

std::string DescribeTargets(const lease::SplitTargets& t) {
  if (t.paused) return "paused by the schedule";
  if (!t.any()) return "no live pool";
  std::vector<std::string> parts;
  for (size_t i = 0; i < t.shares.size(); ++i) {
    if (t.shares[i] > 0) parts.push_back(absl::StrCat("pool ", i, " ", t.shares[i] * 100, "%"));
  }
  return absl::StrCat("level ", t.level, (t.window >= 0 ? absl::StrCat(", window ", t.window) : ""),
                      ": ", absl::StrJoin(parts, ", "));
}

}  // namespace

void Cluster::RefreshSplit() {
  if (!policy_.has_value()) return;
  // Read before mu_: the upstream may hold its own lock while it calls OnJob.
  std::vector<bool> connected(policy_->config().pool_count(), false);
  for (const jobs::UpstreamPool& p : upstream_->Pools()) {
    if (p.index >= 0 && static_cast<size_t>(p.index) < connected.size()) {
      connected[p.index] = p.connected;
    }
  }
  absl::MutexLock lock(&mu_);
  pool_connected_ = std::move(connected);
  UpdateSplitLocked();
}

void Cluster::UpdateSplitLocked() {
  if (!policy_.has_value()) return;
  std::vector<bool> live(pool_connected_.size());
  for (size_t i = 0; i < live.size(); ++i) {
    live[i] = pool_connected_[i] && !jobs_.current(i).empty();
  }
  lease::SplitTargets t = policy_->Targets(clock_->Now(), live);
  if (t.shares == targets_.shares && t.window == targets_.window && t.paused == targets_.paused) {
    return;
  }
  LOG(INFO) << "pool split: " << DescribeTargets(t);
  targets_ = std::move(t);
  leases_.SetPoolShares(targets_.shares);
  GrantWaitingLocked();  // A pool that became live has work for whoever waits.
}

void Cluster::CountAccepted(size_t pool, double difficulty) {
  absl::MutexLock lock(&accepted_mu_);
  if (pool < accepted_difficulty_.size()) accepted_difficulty_[pool] += difficulty;
}

Cluster::SplitStatus Cluster::Split() const {
  SplitStatus out;
  if (!policy_.has_value()) return out;
  absl::MutexLock lock(&mu_);
  const lease::PoolSplitConfig& config = policy_->config();
  int window = -1;
  const std::vector<double>& weights = policy_->WeightsAt(clock_->Now(), &window);
  std::vector<lease::PoolAssignment> totals = leases_.assigner().Totals();
  out.level = targets_.level;
  out.window = targets_.window;
  out.paused = targets_.paused;
  absl::MutexLock accepted(&accepted_mu_);
  for (size_t i = 0; i < config.pool_count(); ++i) {
    PoolSplitStatus p;
    p.weight = weights[i];
    p.level = config.levels[i];
    p.target_share = i < targets_.shares.size() ? targets_.shares[i] : 0;
    p.live = pool_connected_[i] && !jobs_.current(i).empty();
    p.hashes_assigned = totals[i].leased + totals[i].downstream;
    p.accepted_difficulty = accepted_difficulty_[i];
    out.pools.push_back(p);
  }
  return out;
}

}  // namespace synth::service
