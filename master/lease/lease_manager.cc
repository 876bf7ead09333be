#include "master/lease/lease_manager.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace synth::lease {

LeaseManager::LeaseManager(Options options, const Clock* clock, jobs::JobManager* jobs)
    : options_(options),
      clock_(clock),
      jobs_(jobs),
      assigner_(std::max<size_t>(1, options.pools), options.split) {
  for (size_t pool = 0; pool < std::max<size_t>(1, options.pools); ++pool) {
    pools_.push_back({{}, RowCarver(jobs, pool, options.lockstep_midstates)});
  }
  std::vector<double> shares(pools_.size(), 0.0);
  shares[0] = 1;
  assigner_.SetTargets(shares);
}

void LeaseManager::AddWorker(uint64_t worker, double rate_hps) {
  workers_[worker].rate_hps = rate_hps > 0 ? rate_hps : 0;
}

size_t LeaseManager::RemoveWorker(uint64_t worker) {
  size_t requeued = Reclaim(worker);
  workers_.erase(worker);
  return requeued;
}

size_t LeaseManager::Reclaim(uint64_t worker) {
  std::vector<Unit*> lost;  // In grant order.
  for (auto it = leases_.begin(); it != leases_.end();) {
    if (it->second.worker != worker) {
      ++it;
      continue;
    }
    for (uint64_t id : it->second.unit_ids) {
      auto u = units_.find(id);
      if (u != units_.end() && u->second->state == UnitState::kLeased &&
          u->second->lease_id == it->first) {
        lost.push_back(u->second.get());
      }
    }
    it = leases_.erase(it);
  }
  // Re-queue in reverse so the queue front keeps the grant order.
  for (auto u = lost.rbegin(); u != lost.rend(); ++u) Requeue(**u);
  return lost.size();
}

void LeaseManager::SetRate(uint64_t worker, double rate_hps) {
  auto it = workers_.find(worker);
  if (it != workers_.end() && rate_hps > 0) it->second.rate_hps = rate_hps;
}

void LeaseManager::SetBackedOff(uint64_t worker, bool backed_off) {
  auto it = workers_.find(worker);
  if (it != workers_.end()) it->second.backed_off = backed_off;
}

double LeaseManager::RateOf(uint64_t worker) const {
  auto it = workers_.find(worker);
  if (it == workers_.end() || it->second.rate_hps <= 0) return options_.default_rate_hps;
  return it->second.rate_hps;
}

uint64_t LeaseManager::LeaseSize(uint64_t worker, double seconds_wanted,
                                 uint64_t hashes_wanted) const {
  double rate = RateOf(worker);
  double hashes;
  if (seconds_wanted > 0) {
    hashes = rate * std::min(seconds_wanted, options_.max_seconds_wanted);
  } else if (hashes_wanted > 0) {
    hashes = static_cast<double>(hashes_wanted);
  } else {
    hashes = rate * absl::ToDoubleSeconds(options_.lease_duration);
  }
  auto it = workers_.find(worker);
  if (it != workers_.end() && it->second.backed_off) hashes *= options_.backoff_factor;
  hashes = std::clamp(hashes, static_cast<double>(options_.min_lease_hashes),
                      static_cast<double>(options_.max_lease_hashes));
  return static_cast<uint64_t>(hashes);
}

Unit* LeaseManager::NextQueued(size_t pool) {
  std::deque<uint64_t>& queue = pools_[pool].queue;
  while (!queue.empty()) {
    auto it = units_.find(queue.front());
    queue.pop_front();
    // Entries of units that died with their job, or that their last holder finished after
    // expiry, are stale. Anything else must be queued; Hand() CHECKs that.
    if (it != units_.end() && it->second->state != UnitState::kDone) return it->second.get();
  }
  return nullptr;
}

std::deque<uint64_t>& LeaseManager::QueueOf(const Unit& u) {
  CHECK_LT(u.midstate->pool, pools_.size()) << "unit " << u.unit_id << " of an unknown pool";
  return pools_[u.midstate->pool].queue;
}

Unit* LeaseManager::NewUnit(std::shared_ptr<const jobs::Midstate> m, uint32_t start,
                            uint64_t count) {
  auto u = std::make_unique<Unit>();
  u->unit_id = next_unit_id_++;
  u->nonce_start = start;
  u->nonce_count = count;
  u->leased_count = count;
  by_midstate_[m->midstate_id].push_back(u->unit_id);
  u->midstate = std::move(m);
  Unit* raw = u.get();
  units_.emplace(raw->unit_id, std::move(u));
  Count(*raw, +1);
  return raw;
}

Unit* LeaseManager::Carve(size_t pool, uint64_t max_count) {
  std::optional<CutRange> r = pools_[pool].carver.Next(max_count);
  if (!r.has_value()) return nullptr;
  return NewUnit(std::move(r->midstate), r->start, r->count);
}

void LeaseManager::Hand(Unit& u, uint64_t worker, uint64_t lease_id) {
  CHECK(u.state == UnitState::kQueued)
      << "unit " << u.unit_id << " of midstate " << u.midstate->midstate_id
      << " handed out twice (state " << static_cast<int>(u.state) << ")";
  Count(u, -1);
  u.state = UnitState::kLeased;
  u.worker = worker;
  u.lease_id = lease_id;
  u.leased_count = u.nonce_count;
  Count(u, +1);
}

Lease LeaseManager::Grant(uint64_t worker, double seconds_wanted, uint64_t hashes_wanted) {
  Lease lease;
  lease.sized_for_rate_hps = RateOf(worker);
  uint64_t want = LeaseSize(worker, seconds_wanted, hashes_wanted);
  lease.lease_id = next_lease_id_++;
  LeaseRecord record{worker, clock_->Now() + options_.expiry, {}};
  std::vector<AssignPart> parts = assigner_.Plan(want);
  // The pool whose part comes first turns from lease to lease: a worker hashes its queue in
  // order, so a pool always last would always be the one whose work waits longest (and is the
  // first hit by expiry or the end of a run); turning, each pool's work is hashed in step with
  // its share.
  if (!parts.empty()) {
    std::rotate(parts.begin(), parts.begin() + lease.lease_id % parts.size(), parts.end());
  }
  for (const AssignPart& part : parts) {
    assigner_.Assign(part.pool, Cut(part.pool, part.hashes, lease, record));
  }
  // A pool with a share but no work left (its job just died): the others fill the lease.
  const std::vector<PoolAssignment> totals = assigner_.Totals();
  for (size_t pool = 0; pool < pools_.size() && lease.hashes < want; ++pool) {
    if (totals[pool].share <= 0) continue;
    assigner_.Assign(pool, Cut(pool, want - lease.hashes, lease, record));
  }
  lease.expires_in = options_.expiry;
  if (!record.unit_ids.empty()) leases_.emplace(lease.lease_id, std::move(record));
  jobs_->Fill();
  return lease;
}

uint64_t LeaseManager::Cut(size_t pool, uint64_t hashes, Lease& lease, LeaseRecord& record) {
  uint64_t got = 0;
  while (got < hashes) {
    Unit* u = NextQueued(pool);
    if (u == nullptr) u = Carve(pool, hashes - got);
    if (u == nullptr) break;
    Hand(*u, record.worker, lease.lease_id);
    got += u->nonce_count;
    lease.hashes += u->nonce_count;
    lease.units.push_back(u);
    record.unit_ids.push_back(u->unit_id);
  }
  return got;
}

void LeaseManager::Requeue(Unit& u) {
  Count(u, -1);
  u.state = UnitState::kQueued;
  u.lease_id = 0;
  Count(u, +1);
  QueueOf(u).push_front(u.unit_id);
  assigner_.Unassign(u.midstate->pool, u.nonce_count);
  ++counters_.units_requeued;
}

void LeaseManager::Finish(Unit& u, uint64_t hashes) {
  Count(u, -1);
  u.state = UnitState::kDone;
  u.lease_id = 0;
  Count(u, +1);
  counters_.hashes_done += hashes;
}

absl::Status LeaseManager::Complete(uint64_t worker, uint64_t unit_id) {
  auto it = units_.find(unit_id);
  if (it == units_.end()) return absl::NotFoundError(absl::StrCat("unknown unit ", unit_id));
  Unit& u = *it->second;
  if (u.state == UnitState::kDone) {
    return absl::FailedPreconditionError(absl::StrCat("unit ", unit_id, " already done"));
  }
  // The last holder may finish a unit that expired but was not yet re-leased: keep the work.
  if (u.worker != worker) {
    return absl::FailedPreconditionError(
        absl::StrCat("unit ", unit_id, " is not held by worker ", worker));
  }
  Finish(u, u.nonce_count);
  return absl::OkStatus();
}

absl::Status LeaseManager::Return(uint64_t worker, uint64_t unit_id, uint64_t contiguous_done) {
  auto it = units_.find(unit_id);
  if (it == units_.end()) return absl::NotFoundError(absl::StrCat("unknown unit ", unit_id));
  Unit& u = *it->second;
  if (u.state != UnitState::kLeased || u.worker != worker) {
    return absl::FailedPreconditionError(
        absl::StrCat("unit ", unit_id, " is not leased to worker ", worker));
  }
  if (contiguous_done == 0 || contiguous_done >= u.nonce_count) {
    if (contiguous_done >= u.nonce_count) {
      Finish(u, u.nonce_count);
    } else {
      Requeue(u);
    }
    return absl::OkStatus();
  }
  // Split: the hashed prefix stays done under this id, the rest becomes a new queued unit.
  uint64_t rest = u.nonce_count - contiguous_done;
  uint32_t rest_start = u.nonce_start + static_cast<uint32_t>(contiguous_done);
  u.nonce_count = contiguous_done;
  Finish(u, contiguous_done);
  Unit* r = NewUnit(u.midstate, rest_start, rest);
  QueueOf(*r).push_front(r->unit_id);
  assigner_.Unassign(r->midstate->pool, rest);
  ++counters_.units_requeued;
  return absl::OkStatus();
}

std::vector<std::pair<uint64_t, std::vector<uint64_t>>> LeaseManager::ExpireLeases() {
  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> out;
  absl::Time now = clock_->Now();
  while (!leases_.empty() && leases_.begin()->second.expires <= now) {
    auto node = leases_.extract(leases_.begin());
    std::vector<uint64_t> expired;
    // Re-queue in reverse so the queue front keeps the lease's order.
    for (auto id = node.mapped().unit_ids.rbegin(); id != node.mapped().unit_ids.rend(); ++id) {
      auto u = units_.find(*id);
      if (u == units_.end() || u->second->state != UnitState::kLeased ||
          u->second->lease_id != node.key()) {
        continue;
      }
      Requeue(*u->second);
      expired.push_back(*id);
    }
    ++counters_.leases_expired;
    if (!expired.empty()) out.emplace_back(node.mapped().worker, std::move(expired));
  }
  return out;
}

std::vector<uint64_t> LeaseManager::DropJobs(const std::vector<std::string>& job_keys) {
  absl::flat_hash_set<std::string> dead(job_keys.begin(), job_keys.end());
  absl::flat_hash_set<uint64_t> workers;
  absl::erase_if(units_, [&](const auto& kv) {
    const Unit& u = *kv.second;
    if (!dead.contains(u.midstate->job_key)) return false;
    if (u.state == UnitState::kLeased) {
      workers.insert(u.worker);
      // Cancelled before it was hashed to the end: not work its pool got. Taken off the pool's
      // account, so the split pays it back from the pool's next job.
      assigner_.Unassign(u.midstate->pool, u.nonce_count);
    }
    by_midstate_.erase(u.midstate->midstate_id);
    Count(u, -1);
    return true;
  });
  for (auto it = leases_.begin(); it != leases_.end();) {
    std::erase_if(it->second.unit_ids, [&](uint64_t id) { return !units_.contains(id); });
    it = it->second.unit_ids.empty() ? leases_.erase(it) : std::next(it);
  }
  for (PoolWork& p : pools_) {
    std::erase_if(p.queue, [&](uint64_t id) { return !units_.contains(id); });
    p.carver.Drop(dead);
  }
  return std::vector<uint64_t>(workers.begin(), workers.end());
}

absl::flat_hash_map<std::string, JobTally> LeaseManager::TallyByJob() const {
  absl::flat_hash_map<std::string, JobTally> out;
  for (const auto& [id, u] : units_) {
    JobTally& t = out[u->midstate->job_key];
    switch (u->state) {
      case UnitState::kQueued:
        ++t.units_queued;
        break;
      case UnitState::kLeased:
        ++t.units_leased;
        break;
      case UnitState::kDone:
        ++t.units_done;
        t.hashes_done += u->nonce_count;
        break;
    }
  }
  return out;
}

const Unit* LeaseManager::FindUnit(uint64_t unit_id) const {
  auto it = units_.find(unit_id);
  return it == units_.end() ? nullptr : it->second.get();
}

absl::Status LeaseManager::AuditSlot(const jobs::Midstate& m) const {
  // The synth-workers' extranonce2s begin with slot 0 (master/jobs/extranonce_space.h), so they
  // never meet a downstream miner's coinbase.
  const jobs::JobInfo* job = jobs_->FindJob(m.job_key);
  int prefix = job != nullptr ? job->builder.prefix_bytes() : 0;
  for (int i = 0; i < prefix && i < static_cast<int>(m.extranonce2.size()); ++i) {
    if (m.extranonce2[i] != 0) {
      return absl::InternalError(absl::StrCat("midstate ", m.midstate_id,
                                              ": extranonce2 outside the synth-workers' slot"));
    }
  }
  return absl::OkStatus();
}

absl::Status LeaseManager::Audit() const {
  for (const auto& [midstate_id, ids] : by_midstate_) {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;  // [start, end)
    for (uint64_t id : ids) {
      auto it = units_.find(id);
      if (it == units_.end()) return absl::InternalError(absl::StrCat("unit ", id, " missing"));
      ranges.emplace_back(it->second->nonce_start,
                          it->second->nonce_start + it->second->nonce_count);
    }
    if (absl::Status s = AuditSlot(*units_.at(ids.front())->midstate); !s.ok()) return s;
    std::sort(ranges.begin(), ranges.end());
    uint64_t expect = 0;
    for (const auto& [start, end] : ranges) {
      if (start != expect) {
        return absl::InternalError(absl::StrCat("midstate ", midstate_id,
                                                start < expect ? ": overlap at " : ": gap at ",
                                                std::min(start, expect)));
      }
      expect = end;
    }
  }
  uint64_t recount[3] = {};
  for (const auto& [id, u] : units_) ++recount[static_cast<int>(u->state)];
  for (int i = 0; i < 3; ++i) {
    if (recount[i] != by_state_[i]) {
      return absl::InternalError(
          absl::StrCat("state ", i, " tally ", by_state_[i], " but ", recount[i], " units"));
    }
  }
  for (const auto& [lease_id, record] : leases_) {
    for (uint64_t id : record.unit_ids) {
      auto it = units_.find(id);
      if (it == units_.end()) return absl::InternalError(absl::StrCat("lease unit ", id));
      const Unit& u = *it->second;
      if (u.state == UnitState::kLeased && u.lease_id == lease_id && u.worker != record.worker) {
        return absl::InternalError(absl::StrCat("unit ", id, " holder mismatch"));
      }
    }
  }
  return absl::OkStatus();
}

void LeaseManager::Count(const Unit& u, int sign) {
  by_state_[static_cast<int>(u.state)] += sign;
  if (u.state != UnitState::kLeased) return;
  hashes_leased_ += sign * static_cast<int64_t>(u.leased_count);
  Tally& t = leased_by_worker_[u.worker];
  t.units += sign;
  t.hashes += sign * static_cast<int64_t>(u.leased_count);
  if (t.units == 0) leased_by_worker_.erase(u.worker);
}

LeaseStats LeaseManager::stats() const {
  LeaseStats s = counters_;
  s.units_queued = by_state_[static_cast<int>(UnitState::kQueued)];
  s.units_leased = by_state_[static_cast<int>(UnitState::kLeased)];
  s.units_done = by_state_[static_cast<int>(UnitState::kDone)];
  s.hashes_leased = hashes_leased_;
  return s;
}

uint64_t LeaseManager::HashesLeasedTo(uint64_t worker) const {
  auto it = leased_by_worker_.find(worker);
  return it == leased_by_worker_.end() ? 0 : it->second.hashes;
}

uint64_t LeaseManager::UnitsLeasedTo(uint64_t worker) const {
  auto it = leased_by_worker_.find(worker);
  return it == leased_by_worker_.end() ? 0 : it->second.units;
}

}  // namespace synth::lease
