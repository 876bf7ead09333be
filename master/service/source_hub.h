// File: master/service/source_hub.h
//
// The master's side of its Stratum port (docs/HUB.md): the shares::SourceHost the port
// (master/hub) talks to. Each downstream miner gets an extranonce2 slot of the current job's
// space, enters tuning (its rate counts in the cluster's; it is leased nothing), and its shares
// go through the Core's validator and share ledger like the workers'. The Cluster tells the hub
// of pool 0's jobs; the hub tells the attached port.
//
//   SourceHub& hub = cluster.sources();
//   auto port = hub::StratumHub::Start(options, &hub);  // Calls hub.SetSourcePort(port).
//
// Slots exist only with Core::Options::jobs.downstream_slots > 0 (the port is on).
// Thread-safe: the SourceHost calls take the Core's mutex; the *Locked calls and the
// accessors are for callers holding it (the Cluster, the views through Cluster::Inspect).
#ifndef SYNTH_MASTER_SERVICE_SOURCE_HUB_H_
#define SYNTH_MASTER_SERVICE_SOURCE_HUB_H_

#include <cstdint>
#include <memory>
#include <string>

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
  explicit SourceHub(Core* core) : core_(core) {}

  // ---- shares::SourceHost ----
  void SetSourcePort(shares::SourcePort* port) override;
  absl::StatusOr<shares::SourceGrant> AddSource(const shares::SourceHello& hello) override;
  void UpdateSource(uint64_t source, const std::string& name, double difficulty,
                    double rate_hps) override;
  void RemoveSource(uint64_t source) override;
  shares::SourceOutcome SubmitShare(uint64_t source, const shares::SourceShare& share) override;
  void CountRefused(uint64_t source, uint64_t share_id, bool rate_limited) override;

  // Tells the port of the JobManager's current job of pool 0 (`entered`: when its notify
  // reached the master, for the port's fan-out figures).
  void NoticeJobLocked(bool clean, absl::Time entered) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);

  // For the views and the audit, under the Core's mutex.
  const absl::flat_hash_map<uint64_t, std::unique_ptr<Source>>& sources() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return sources_;
  }
  const lease::ExtranonceSlots& slots() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return slots_;
  }
  // The current job's notice; null before the first job or without slots.
  const shares::JobNotice* notice() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return notice_.get();
  }
  // The attached port; null when the port is off.
  const shares::SourcePort* port() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu) {
    return port_;
  }

 private:
  // Points `s`'s verdicts at `port` (null: nowhere) in the ledger.
  void AttachLocked(Source& s, shares::SourcePort* port) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_->mu);

  Core* const core_;
  absl::flat_hash_map<uint64_t, std::unique_ptr<Source>> sources_ ABSL_GUARDED_BY(core_->mu);
  lease::ExtranonceSlots slots_ ABSL_GUARDED_BY(core_->mu);
  shares::SourcePort* port_ ABSL_GUARDED_BY(core_->mu) = nullptr;
  std::shared_ptr<const shares::JobNotice> notice_ ABSL_GUARDED_BY(core_->mu);
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_SOURCE_HUB_H_
