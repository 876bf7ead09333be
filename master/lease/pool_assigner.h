// File: master/lease/pool_assigner.h
//
// Which pool the hashes of the next lease come from, so that the hashes handed out follow the
// split's target shares exactly (docs/CLUSTER.md "Pool split"). A deficit scheduler: each pool
// keeps a deficit, the hashes it is owed (its share of everything assigned since it joined the
// split, minus what it got). Plan() cuts a lease into parts by water-filling: the parts bring
// every pool that gets one to the same deficit after the lease, so the assigned hashes track
// the shares to within about one `min_part_hashes` per pool however different the workers'
// lease sizes are (a part smaller than that goes to the pool of the largest part instead, and
// its pool is owed it). Deficits are clamped to +-carry_limit so that a pool that could not be
// served for a while (or whose downstream miners outran its share) is not paid back in a burst.
//
// Downstream Stratum miners are routed whole, by connection: Route() picks the pool whose
// share of the cluster's rate has the most room for the connection's rate, and
// CreditConnections() counts each connection's measured rate toward its pool's assigned hashes,
// so that leased work makes up the rest of the split. A connection's rate is not known when it
// subscribes (it is measured from its shares): until it is, the connection counts as the mean
// measured rate of the connections that have one, and while none has, connections are spread
// by count (each pool gets its share of them).
//
//   PoolAssigner assigner(/*pools=*/2, {});
//   assigner.SetTargets({0.7, 0.3});
//   for (const AssignPart& part : assigner.Plan(lease_hashes)) {
//     uint64_t cut = CutFromPool(part.pool, part.hashes);   // what the pool could give
//     assigner.Assign(part.pool, cut);
//   }
//   assigner.Unassign(pool, requeued_hashes);   // units that went back to the queue
//
// Thread-compatible: the owner serializes every call.
#ifndef SYNTH_MASTER_LEASE_POOL_ASSIGNER_H_
#define SYNTH_MASTER_LEASE_POOL_ASSIGNER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace synth::lease {

// A part of a lease: `hashes` of pool `pool`'s work.
struct AssignPart {
  size_t pool = 0;
  uint64_t hashes = 0;
};

// One pool's totals since start.
struct PoolAssignment {
  double share = 0;             // Target share now.
  double deficit = 0;           // Hashes it is owed now (negative: ahead of its share).
  uint64_t leased = 0;          // Hashes leased to workers, net of units returned to the queue.
  uint64_t downstream = 0;      // Hashes credited from its downstream connections.
  size_t connections = 0;       // Downstream connections routed to it.
  double downstream_rate = 0;   // Their measured rate, hashes/s.
};

class PoolAssigner {
 public:
  struct Options {
    // Smallest part a lease is cut into (hashes); a lease smaller than this goes to one pool.
    uint64_t min_part_hashes = uint64_t{1} << 20;
    // Deficits are kept within +-carry_limit hashes (SetCarryLimit changes it).
    double carry_limit = static_cast<double>(uint64_t{1} << 40);
  };

  PoolAssigner(size_t pools, Options options);

  // Sets each pool's target share (one per pool, >= 0, summing to 1; all 0: no work). A pool
  // whose share is 0 forgets its deficit; the others keep theirs.
  void SetTargets(const std::vector<double>& shares);
  void SetCarryLimit(double hashes);

  // Cuts a lease of `hashes` into parts, in pool order, summing to `hashes`. Empty when no pool
  // has a share (or hashes is 0).
  std::vector<AssignPart> Plan(uint64_t hashes) const;

  // Records `hashes` of pool `pool`'s work handed out to a worker (Plan's parts, as cut).
  void Assign(size_t pool, uint64_t hashes);
  // Records `hashes` of pool `pool`'s work taken back (re-queued units, to be handed out again).
  void Unassign(size_t pool, uint64_t hashes);

  // Returns the pool for a downstream connection of `rate_hps` (0: not known yet) given the
  // rate of the leased workers (`leased_rate_hps`): of the pools with a share (and, when
  // `eligible` is not empty, eligible[pool]), the one with the most room; on a tie the one with
  // fewer connections, then the larger share. nullopt when no pool qualifies.
  std::optional<size_t> Route(double rate_hps, double leased_rate_hps,
                              const std::vector<bool>& eligible = {}) const;
  // Records a downstream connection on `pool` (Route's answer) with its rate, hashes/s (0: not
  // known yet); a connection recorded already moves to `pool`.
  void AddConnection(uint64_t connection, size_t pool, double rate_hps);
  // Updates a connection's measured rate; unknown connections are ignored.
  void SetConnectionRate(uint64_t connection, double rate_hps);
  void RemoveConnection(uint64_t connection);
  // Returns the pool of a connection, nullopt when unknown.
  std::optional<size_t> PoolOf(uint64_t connection) const;
  // Counts `seconds` of every connection's rate as hashes assigned to its pool.
  void CreditConnections(double seconds);

  // Returns each pool's figures, by pool index.
  std::vector<PoolAssignment> Totals() const;
  size_t pool_count() const { return pools_.size(); }

 private:
  struct Pool {
    double share = 0;
    double deficit = 0;
    uint64_t leased = 0;
    uint64_t downstream = 0;
    // Its connections: the sum of the known rates, how many have one, how many do not.
    double known_rate = 0;
    size_t known = 0;
    size_t unknown = 0;
  };
  struct Connection {
    size_t pool = 0;
    double rate_hps = 0;
  };

  // Moves deficits for `hashes` handed to `pool` (sign +1) or taken back (-1).
  void Account(size_t pool, double hashes);
  void Clamp();
  // Adds (sign +1) or removes (-1) a connection from its pool's aggregates, so that Route
  // costs O(pools) however many connections there are.
  void CountConnection(const Connection& c, int sign);

  Options options_;
  std::vector<Pool> pools_;
  absl::flat_hash_map<uint64_t, Connection> connections_;
};

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_POOL_ASSIGNER_H_
