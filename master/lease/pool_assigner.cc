#include "master/lease/pool_assigner.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include "common/logging.h"

namespace synth::lease {

PoolAssigner::PoolAssigner(size_t pools, Options options) : options_(options), pools_(pools) {}

void PoolAssigner::SetTargets(const std::vector<double>& shares) {
  CHECK_EQ(shares.size(), pools_.size());
  double owed = 0;
  for (size_t i = 0; i < pools_.size(); ++i) {
    Pool& p = pools_[i];
    p.share = std::isfinite(shares[i]) && shares[i] > 0 ? shares[i] : 0;
    if (p.share == 0) p.deficit = 0;
    owed += p.deficit;
  }
  // Deficits sum to zero (what one pool is owed, the others are ahead by), also after a pool
  // left the split or joined it.
  for (Pool& p : pools_) p.deficit -= p.share * owed;
}

void PoolAssigner::SetCarryLimit(double hashes) {
  options_.carry_limit = std::max(0.0, hashes);
  Clamp();
}

std::vector<AssignPart> PoolAssigner::Plan(uint64_t hashes) const {
  const double h = static_cast<double>(hashes);
  std::vector<std::pair<double, size_t>> want;  // (deficit after an even cut of h, pool).
  for (size_t i = 0; i < pools_.size(); ++i) {
    if (pools_[i].share > 0) want.emplace_back(pools_[i].deficit + pools_[i].share * h, i);
  }
  if (want.empty() || hashes == 0) return {};
  std::sort(want.begin(), want.end(), std::greater<>());
  // Water level: parts max(0, want - level) sum to h and leave every pool that gets one at
  // the same deficit (the pools cut in are a prefix of `want`).
  double sum = 0, level = 0;
  for (size_t k = 0; k < want.size(); ++k) {
    double candidate = (sum + want[k].first - h) / static_cast<double>(k + 1);
    if (want[k].first - candidate <= 0) break;
    sum += want[k].first;
    level = candidate;
  }
  // Whole hashes: every part but the largest rounds down, the largest takes the rest. A part
  // under min_part_hashes joins the largest.
  std::vector<uint64_t> parts(want.size(), 0);
  uint64_t rest = hashes;
  for (size_t k = 1; k < want.size(); ++k) {
    double p = std::floor(std::max(0.0, want[k].first - level));
    parts[k] = std::min(rest, static_cast<uint64_t>(p));
    if (parts[k] < options_.min_part_hashes) parts[k] = 0;
    rest -= parts[k];
  }
  parts[0] = rest;
  std::vector<AssignPart> out;
  for (size_t k = 0; k < want.size(); ++k) {
    if (parts[k] > 0) out.push_back({want[k].second, parts[k]});
  }
  std::sort(out.begin(), out.end(),
            [](const AssignPart& a, const AssignPart& b) { return a.pool < b.pool; });
  return out;
}

void PoolAssigner::Account(size_t pool, double hashes) {
  if (pools_[pool].share <= 0) return;  // Outside the split now: owes and is owed nothing.
  for (Pool& p : pools_) p.deficit += p.share * hashes;
  pools_[pool].deficit -= hashes;
  Clamp();
}

void PoolAssigner::Clamp() {
  for (Pool& p : pools_) {
    p.deficit = std::clamp(p.deficit, -options_.carry_limit, options_.carry_limit);
  }
}

void PoolAssigner::Assign(size_t pool, uint64_t hashes) {
  CHECK_LT(pool, pools_.size());
  pools_[pool].leased += hashes;
  Account(pool, static_cast<double>(hashes));
}

void PoolAssigner::Unassign(size_t pool, uint64_t hashes) {
  CHECK_LT(pool, pools_.size());
  hashes = std::min(hashes, pools_[pool].leased);
  pools_[pool].leased -= hashes;
  Account(pool, -static_cast<double>(hashes));
}

void PoolAssigner::CountConnection(const Connection& c, int sign) {
  Pool& p = pools_[c.pool];
  size_t& n = c.rate_hps > 0 ? p.known : p.unknown;
  n = sign > 0 ? n + 1 : n - 1;
  p.known_rate += sign * c.rate_hps;
  if (p.known == 0) p.known_rate = 0;  // No rounding left behind.
}

std::optional<size_t> PoolAssigner::Route(double rate_hps, double leased_rate_hps,
                                          const std::vector<bool>& eligible) const {
  // A connection whose rate is not known yet counts as the mean known one; with none known at
  // all, every connection counts as 1 and the leased workers (in hashes/s) do not count.
  double known_rate = 0, known = 0;
  for (const Pool& p : pools_) known_rate += p.known_rate, known += static_cast<double>(p.known);
  double mean = known > 0 ? known_rate / known : std::max(0.0, rate_hps);
  const bool by_count = !(mean > 0);
  auto taken = [&](const Pool& p) {
    double n = static_cast<double>(p.known + p.unknown);
    return by_count ? n : p.known_rate + static_cast<double>(p.unknown) * mean;
  };
  double total = by_count ? 1 : (rate_hps > 0 ? rate_hps : mean) + std::max(0.0, leased_rate_hps);
  for (const Pool& p : pools_) total += taken(p);
  std::optional<size_t> best;
  double best_room = 0;
  for (size_t i = 0; i < pools_.size(); ++i) {
    const Pool& p = pools_[i];
    if (p.share <= 0 || (!eligible.empty() && (i >= eligible.size() || !eligible[i]))) continue;
    // Room: the pool's share of the cluster's rate not yet taken by whole connections. Ties go
    // to the pool with fewer connections, then to the larger share.
    double room = p.share * total - taken(p);
    size_t n = p.known + p.unknown;
    const Pool* b = best ? &pools_[*best] : nullptr;
    bool better = b == nullptr || room > best_room ||
                  (room == best_room && (n < b->known + b->unknown ||
                                         (n == b->known + b->unknown && p.share > b->share)));
    if (better) {
      best = i;
      best_room = room;
    }
  }
  return best;
}

void PoolAssigner::AddConnection(uint64_t connection, size_t pool, double rate_hps) {
  CHECK_LT(pool, pools_.size());
  RemoveConnection(connection);
  Connection c{pool, std::isfinite(rate_hps) ? std::max(0.0, rate_hps) : 0};
  connections_[connection] = c;
  CountConnection(c, +1);
}

void PoolAssigner::SetConnectionRate(uint64_t connection, double rate_hps) {
  auto it = connections_.find(connection);
  if (it == connections_.end() || !std::isfinite(rate_hps)) return;
  CountConnection(it->second, -1);
  it->second.rate_hps = std::max(0.0, rate_hps);
  CountConnection(it->second, +1);
}

void PoolAssigner::RemoveConnection(uint64_t connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  CountConnection(it->second, -1);
  connections_.erase(it);
}

std::optional<size_t> PoolAssigner::PoolOf(uint64_t connection) const {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return std::nullopt;
  return it->second.pool;
}

void PoolAssigner::CreditConnections(double seconds) {
  if (!(seconds > 0)) return;
  for (const auto& [id, c] : connections_) {
    double hashes = c.rate_hps * seconds;
    pools_[c.pool].downstream += static_cast<uint64_t>(hashes);
    Account(c.pool, hashes);
  }
}

std::vector<PoolAssignment> PoolAssigner::Totals() const {
  std::vector<PoolAssignment> out(pools_.size());
  for (size_t i = 0; i < pools_.size(); ++i) {
    const Pool& p = pools_[i];
    out[i].share = p.share;
    out[i].deficit = p.deficit;
    out[i].leased = p.leased;
    out[i].downstream = p.downstream;
    out[i].connections = p.known + p.unknown;
    out[i].downstream_rate = p.known_rate;
  }
  return out;
}

}  // namespace synth::lease
