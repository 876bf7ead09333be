// File: master/lease/lease_manager.h
//
// The global queue of WorkUnits and who holds which (docs/DESIGN.md §2, §5). Units are carved on
// demand from the job manager's midstates: a lease of H hashes takes re-queued units first, then
// cuts fresh ranges of the current midstate (then the next midstates) until H is reached. H is
// the worker's measured rate × the target lease duration (seconds of work, so a GPU box and a
// 2-core box both get a few seconds' worth), halved for a backed-off worker.
//
// With version rolling, fresh work is cut in rows: the same nonce range of up to
// Options::lockstep_midstates midstates of one version group, consecutive in the lease, which a
// GPU worker scans in one launch (the midstates share the header tail, so each nonce's message
// schedule serves all of them).
//
// Coverage: every unit of a midstate is queued, leased or done, and the units of one midstate
// tile [0, carved end) with no overlap. Handing out a unit that is not queued is a broken
// invariant (CHECK). Audit() verifies the tiling. A lease expires `expiry` after its grant; units
// not reported by then go back to the front of the queue. A worker that leaves gives its leased
// units back. When jobs die (clean job, pool down) all their units are dropped at once and every
// worker that held some is named, so the caller can cancel them.
//
// Several pools (docs/CLUSTER.md "Pool split"): every pool has its own queue and its own
// carving (row_carver.h) from its current job, and a PoolAssigner (pool_assigner.h) cuts each
// lease into per-pool parts that follow the shares set by SetPoolShares(). Units that go back to
// the queue are taken off their pool's assigned hashes and counted again when handed out. With
// one pool (the default) everything is pool 0's.
//
//   LeaseManager leases({}, &clock, &jobs);
//   leases.AddWorker(7, /*rate_hps=*/50e6);
//   Lease lease = leases.Grant(7, /*seconds_wanted=*/0, /*hashes_wanted=*/0);
//   leases.Complete(7, lease.units[0].unit_id);
//   for (auto& [worker, units] : leases.ExpireLeases()) SendCancel(worker, units);
//
// Thread-compatible: the owner (service::Cluster) serializes every call.
#ifndef SYNTH_MASTER_LEASE_LEASE_MANAGER_H_
#define SYNTH_MASTER_LEASE_LEASE_MANAGER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "master/jobs/job_manager.h"
#include "master/jobs/midstate.h"
#include "master/lease/pool_assigner.h"
#include "master/lease/row_carver.h"
#include "common/clock.h"

namespace synth::lease {

enum class UnitState { kQueued, kLeased, kDone };

// One range of nonces of one midstate.
struct Unit {
  uint64_t unit_id = 0;
  std::shared_ptr<const jobs::Midstate> midstate;
  uint32_t nonce_start = 0;
  uint64_t nonce_count = 0;   // Current extent (shrinks when a partial return splits it).
  uint64_t leased_count = 0;  // Extent when last leased (shares are checked against it).
  UnitState state = UnitState::kQueued;
  uint64_t worker = 0;  // Holder while leased; last holder otherwise (0: never leased).
  uint64_t lease_id = 0;
};

// What Grant() hands out.
struct Lease {
  uint64_t lease_id = 0;
  std::vector<const Unit*> units;  // Valid until the next mutating call.
  uint64_t hashes = 0;             // Sum of nonce_count.
  absl::Duration expires_in;
  double sized_for_rate_hps = 0;
};

struct LeaseStats {
  uint64_t units_queued = 0;
  uint64_t units_leased = 0;
  uint64_t units_done = 0;
  uint64_t hashes_leased = 0;
  uint64_t hashes_done = 0;     // Completed since start (all jobs).
  uint64_t units_requeued = 0;  // Since start (expiry, worker loss, returns).
  uint64_t leases_expired = 0;  // Since start.
};

// One live job's units (LeaseManager::TallyByJob).
struct JobTally {
  uint64_t units_queued = 0;
  uint64_t units_leased = 0;
  uint64_t units_done = 0;
  uint64_t hashes_done = 0;  // Nonces of its done units.
};

class LeaseManager {
 public:
  struct Options {
    absl::Duration lease_duration = absl::Seconds(5);  // Seconds of work per lease.
    absl::Duration expiry = absl::Seconds(30);         // Grant → re-queue if unreported.
    double default_rate_hps = 5e6;                     // For a worker with no rate yet.
    uint64_t min_lease_hashes = uint64_t{1} << 20;
    uint64_t max_lease_hashes = uint64_t{1} << 44;
    double max_seconds_wanted = 60;  // Clamp on LeaseRequest.seconds_wanted.
    double backoff_factor = 0.5;     // Lease scale for backed-off workers.
    // Fresh work is cut in rows: the same nonce range of up to this many midstates of one
    // version group (same header tail, versions rolled), so that a GPU hashes them in one
    // launch sharing each nonce's message schedule (kernels' max_mids). 1: one at a time.
    size_t lockstep_midstates = 4;
    // Pools whose jobs the units may come from (JobManager's pool indices 0..pools-1), and the
    // assigner's settings. Pool 0 has the whole share until SetPoolShares says otherwise.
    size_t pools = 1;
    PoolAssigner::Options split;
  };

  LeaseManager(Options options, const Clock* clock, jobs::JobManager* jobs);

  // Registers a worker session with its initial rate (hashes/s; 0 = unknown).
  void AddWorker(uint64_t worker, double rate_hps);
  // Forgets a worker; its leased units go back to the queue. Returns how many.
  size_t RemoveWorker(uint64_t worker);
  // Takes every unit leased to `worker` back into the queue (front, grant order) and ends its
  // leases; the worker stays registered. Returns how many units. (Operator drain.)
  size_t Reclaim(uint64_t worker);
  // Updates the rate used to size the worker's leases (hashes/s; ignored when <= 0).
  void SetRate(uint64_t worker, double rate_hps);
  // Scales the worker's leases by backoff_factor while `backed_off`.
  void SetBackedOff(uint64_t worker, bool backed_off);

  // Leases work to `worker`: seconds_wanted (> 0) or hashes_wanted (> 0) or, both 0, the target
  // lease duration at the worker's rate, cut from the pools by their shares. Empty (no units)
  // when no pool with a share has a job.
  Lease Grant(uint64_t worker, double seconds_wanted, uint64_t hashes_wanted);

  // Sets each pool's target share of the hashes handed out (options.pools entries, >= 0,
  // summing to 1; all 0: no work for anyone). See PoolAssigner::SetTargets.
  void SetPoolShares(const std::vector<double>& shares) { assigner_.SetTargets(shares); }
  // The assigner: per-pool totals, downstream connections routed whole.
  PoolAssigner& assigner() { return assigner_; }
  const PoolAssigner& assigner() const { return assigner_; }

  // Marks a unit fully hashed. FAILED_PRECONDITION when `worker` does not hold it (e.g. it was
  // re-leased after expiry), NOT_FOUND for an unknown unit.
  absl::Status Complete(uint64_t worker, uint64_t unit_id);
  // Gives a unit back with its first `contiguous_done` nonces hashed; the rest is re-queued.
  absl::Status Return(uint64_t worker, uint64_t unit_id, uint64_t contiguous_done);

  // Re-queues the units of every lease past its expiry; returns (worker, unit ids) to cancel.
  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> ExpireLeases();

  // Drops every unit of the given jobs; returns the workers that held any of them. Units
  // still leased come off their pool's assigned hashes (the split owes the pool that work).
  std::vector<uint64_t> DropJobs(const std::vector<std::string>& job_keys);

  // Returns the units of every live job by job key (walks every unit: for admin views).
  absl::flat_hash_map<std::string, JobTally> TallyByJob() const;

  // Returns a unit of a live job, or nullptr.
  const Unit* FindUnit(uint64_t unit_id) const;

  // Verifies the coverage invariant (units of each midstate tile [0, end) without overlap, every
  // midstate's extranonce2 lies in the synth-workers' slot, and the queue, lease and state
  // bookkeeping agree). INTERNAL with the first violation.
  absl::Status Audit() const;

  LeaseStats stats() const;
  uint64_t HashesLeasedTo(uint64_t worker) const;
  uint64_t UnitsLeasedTo(uint64_t worker) const;
  double RateOf(uint64_t worker) const;

 private:
  struct WorkerState {
    double rate_hps = 0;
    bool backed_off = false;
  };
  struct LeaseRecord {
    uint64_t worker = 0;
    absl::Time expires;
    std::vector<uint64_t> unit_ids;
  };

  // One pool's queue of units handed back and its carving.
  struct PoolWork {
    std::deque<uint64_t> queue;  // Queued unit ids (stale entries skipped).
    RowCarver carver;
  };

  uint64_t LeaseSize(uint64_t worker, double seconds_wanted, uint64_t hashes_wanted) const;
  absl::Status AuditSlot(const jobs::Midstate& m) const;
  // Hands up to about `hashes` of `pool`'s work to the lease; returns the hashes added.
  uint64_t Cut(size_t pool, uint64_t hashes, Lease& lease, LeaseRecord& record);
  Unit* NextQueued(size_t pool);
  Unit* Carve(size_t pool, uint64_t max_count);
  // The queue a unit goes back to: its job's pool's.
  std::deque<uint64_t>& QueueOf(const Unit& u);
  Unit* NewUnit(std::shared_ptr<const jobs::Midstate> m, uint32_t start, uint64_t count);
  void Requeue(Unit& u);
  void Hand(Unit& u, uint64_t worker, uint64_t lease_id);
  void Finish(Unit& u, uint64_t hashes);
  // Adds (sign +1) or removes (-1) `u` from the tallies under its current state.
  void Count(const Unit& u, int sign);

  const Options options_;
  const Clock* const clock_;
  jobs::JobManager* const jobs_;
  uint64_t next_unit_id_ = 1;
  uint64_t next_lease_id_ = 1;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Unit>> units_;
  absl::flat_hash_map<uint64_t, std::vector<uint64_t>> by_midstate_;  // Coverage.
  std::vector<PoolWork> pools_;             // By pool index.
  PoolAssigner assigner_;
  std::map<uint64_t, LeaseRecord> leases_;  // By lease id; expiry grows with id.
  absl::flat_hash_map<uint64_t, WorkerState> workers_;
  LeaseStats counters_;      // Cumulative fields only.
  // Live tallies, kept by Count() on every state change, so stats and per-worker figures cost
  // O(1) however many units the live jobs hold.
  struct Tally {
    uint64_t units = 0;
    uint64_t hashes = 0;
  };
  uint64_t by_state_[3] = {};  // Indexed by UnitState.
  uint64_t hashes_leased_ = 0;
  absl::flat_hash_map<uint64_t, Tally> leased_by_worker_;
};

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_LEASE_MANAGER_H_
