// File: master/service/source_hub.h
//
// The master's side of its Stratum port (docs/HUB.md): the shares::SourceHost the port
// (master/hub) talks to. Each downstream miner gets an extranonce2 slot, enters tuning (its rate
// counts in the cluster's; it is leased nothing), and its shares go through the Core's
// validator and share ledger like the workers'. The Cluster tells the hub of every pool's jobs;
// the hub tells the attached port.
//
// With a pool split (docs/CLUSTER.md "Pool split") each connection is routed whole to one pool
// by the lease manager's PoolAssigner (Route: the pool with the most room in its share of the
// cluster's rate), mines that pool's jobs, and its measured rate is credited to that pool
// (CreditLocked, from the Cluster's tick), so the workers' leases make up the rest of each
// pool's share. A connection whose pool leaves the split (down, weight 0, no slots) is moved
// to another pool at once (RerouteLocked); nobody else moves. Without a split everything is
// pool 0's.
//
//   SourceHub& hub = cluster.sources();
//   auto port = hub::StratumHub::Start(options, &hub);  // Calls hub.SetSourcePort(port).
//
// Slots exist only with Core::Options::jobs.downstream_slots > 0 (the port is on). They are the
// port's, one per connection whatever its pool, as many as the pool with the fewest allows.
// Thread-safe: the SourceHost calls take the Core's mutex; the *Locked calls and the
// accessors are for callers holding it (the Cluster, the views through Cluster::Inspect).
#ifndef SYNTH_MASTER_SERVICE_SOURCE_HUB_H_
#define SYNTH_MASTER_SERVICE_SOURCE_HUB_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "master/lease/extranonce_slots.h"
#include "master/service/core.h"
#include "master/service/source_session.h"
#include "master/shares/share_source.h"

namespace synth::service {

class SourceHub : public shares::SourceHost {
 public:
  // `split`: the Core's lease manager splits the work among its pools (route connections).
  SourceHub(Core* core, bool split) : core_(core), split_(split) {}

  // ---- shares::SourceHost ----
  void SetSourcePort(shares::SourcePort* port) override;
  absl::StatusOr<shares::SourceGrant> AddSource(const shares::SourceHello& hello) override;
  void UpdateSource(uint64_t source, const std::string& name, double difficulty,
                    double rate_hps) override;
  void RemoveSource(uint64_t source) override;
  shares::SourceOutcome SubmitShare(uint64_t source, const shares::SourceShare& share) override;
  void CountRefused(uint64_t source, uint64_t share_id, bool rate_limited) override;

  // Tells the port of `pool`'s current job in the JobManager (`entered`: when its notify
  // reached the master, for the port's fan-out figures).
  void NoticeJobLocked(size_t pool, bool clean, absl::Time entered)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  // With a split: moves every connection whose pool cannot take miners now (no share, or no
  // job with slots) to the pool Route picks, and tells the port. Call when the split's shares
  // or a pool's job changed; cheap when nobody has to move.
  void RerouteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  // With a split: credits every connection's measured rate since the last call to its pool
  // (and refreshes the leased workers' rate Route weighs the miners against).
  void CreditLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);

  bool split() const { return split_; }
  // For the views and the audit, under the Core's mutex.
  const absl::flat_hash_map<uint64_t, std::unique_ptr<Source>>& sources() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return sources_;
  }
  const lease::ExtranonceSlots& slots() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return slots_;
  }
  // `pool`'s current job's notice; null before its first job or without slots.
  const shares::JobNotice* notice(size_t pool = 0) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return pool < notices_.size() ? notices_[pool].get() : nullptr;
  }
  // The first pool's notice there is (for the port's figures); null when none.
  const shares::JobNotice* any_notice() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  // The attached port; null when the port is off.
  const shares::SourcePort* port() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return port_;
  }

 private:
  // Points `s`'s verdicts at `port` (null: nowhere) in the ledger.
  void AttachLocked(Source& s, shares::SourcePort* port) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  // Returns the slots the port has now: the fewest of any pool with slots (0: none).
  uint64_t CapacityLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  // Returns, by pool, whether it can take miners now (a split's share, a job with slots).
  std::vector<bool> EligibleLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);
  // Returns the pool for a connection of `rate_hps` (0: unknown); nullopt when none can take it.
  std::optional<size_t> RouteLocked(double rate_hps, const std::vector<bool>& eligible) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);

  Core* const core_;
  const bool split_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Source>> sources_ ABSL_GUARDED_BY(core_->mu);
  lease::ExtranonceSlots slots_ ABSL_GUARDED_BY(core_->mu);
  shares::SourcePort* port_ ABSL_GUARDED_BY(core_->mu) = nullptr;
  // By pool: its current job's notice (null before its first job).
  std::vector<std::shared_ptr<const shares::JobNotice>> notices_ ABSL_GUARDED_BY(core_->mu);
  absl::Time last_credit_ ABSL_GUARDED_BY(core_->mu) = absl::InfinitePast();
  // The leased workers' rate, hashes/s, as of leased_at_ (CreditLocked).
  double leased_rate_ ABSL_GUARDED_BY(core_->mu) = 0;
  absl::Time leased_at_ ABSL_GUARDED_BY(core_->mu) = absl::InfinitePast();
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_SOURCE_HUB_H_
