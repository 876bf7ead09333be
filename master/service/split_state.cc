#include "master/service/split_state.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace synth::service {
namespace {

std::optional<lease::SplitPolicy> PolicyOf(const std::optional<lease::PoolSplitConfig>& c) {
  if (!c.has_value()) return std::nullopt;
  return lease::SplitPolicy(*c);
}

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

SplitState::SplitState(const std::optional<lease::PoolSplitConfig>& config, Core* core)
    : core_(core), policy_(PolicyOf(config)) {
  absl::MutexLock lock(&core_->mu);
  connected_.assign(pool_count(), false);
  {
    absl::MutexLock accepted(&accepted_mu_);
    accepted_difficulty_.assign(pool_count(), 0.0);
  }
  UpdateLocked();  // No pool is live yet: no work until the first job.
}

std::vector<bool> SplitState::ReadHealth() const {
  std::vector<bool> connected(pool_count(), false);
  if (!enabled()) return connected;
  for (const jobs::UpstreamPool& p : core_->upstream->Pools()) {
    if (p.index >= 0 && static_cast<size_t>(p.index) < connected.size()) {
      connected[p.index] = p.connected;
    }
  }
  return connected;
}

bool SplitState::SetHealthLocked(std::vector<bool> connected) {
  if (!enabled() || connected.size() != connected_.size()) return false;
  connected_ = std::move(connected);
  return UpdateLocked();
}

bool SplitState::OnJobLocked(size_t pool) {
  if (pool < connected_.size()) connected_[pool] = true;  // It just spoke.
  return UpdateLocked();
}

bool SplitState::LiveLocked(size_t pool) const {
  return connected_[pool] && !core_->jobs.current(pool).empty();
}

bool SplitState::UpdateLocked() {
  if (!enabled()) return false;
  std::vector<bool> live(connected_.size());
  for (size_t i = 0; i < live.size(); ++i) live[i] = LiveLocked(i);
  lease::SplitTargets t = policy_->Targets(core_->clock->Now(), live);
  if (t.shares == targets_.shares && t.window == targets_.window && t.paused == targets_.paused) {
    return false;
  }
  LOG(INFO) << "pool split: " << DescribeTargets(t);
  targets_ = std::move(t);
  core_->leases.SetPoolShares(targets_.shares);
  return true;
}

void SplitState::CountAccepted(size_t pool, double difficulty) {
  absl::MutexLock lock(&accepted_mu_);
  if (pool < accepted_difficulty_.size()) accepted_difficulty_[pool] += difficulty;
}

SplitStatus SplitState::Status() const {
  SplitStatus out;
  if (!enabled()) return out;
  absl::MutexLock lock(&core_->mu);
  const lease::PoolSplitConfig& config = policy_->config();
  int window = -1;
  const std::vector<double>& weights = policy_->WeightsAt(core_->clock->Now(), &window);
  std::vector<lease::PoolAssignment> totals = core_->leases.assigner().Totals();
  out.level = targets_.level;
  out.window = targets_.window;
  out.paused = targets_.paused;
  absl::MutexLock accepted(&accepted_mu_);
  for (size_t i = 0; i < config.pool_count(); ++i) {
    out.pools.push_back({.weight = weights[i],
                         .level = config.levels[i],
                         .target_share = i < targets_.shares.size() ? targets_.shares[i] : 0,
                         .live = LiveLocked(i),
                         .hashes_assigned = totals[i].leased + totals[i].downstream,
                         .accepted_difficulty = accepted_difficulty_[i]});
  }
  return out;
}

}  // namespace synth::service
