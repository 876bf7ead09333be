// File: master/service/cluster.h
//
// The master's router: worker sessions, the jobs, midstates, leases and tuning they draw work
// from, behind one mutex. The gRPC reactors (worker_service.h) feed it worker messages and give
// it a StreamSink per stream; the upstream adapter feeds it jobs; a ticker thread expires leases.
// Shares go through the validator (under the mutex) to the share ledger (master/shares/
// share_ledger.h, its own lock), which counts them, answers them and remembers their verdicts;
// the views (status_views.h) read everything through Inspect(). Every entry point takes the
// mutex briefly and never blocks on I/O: messages to workers are handed to the sinks (which only
// queue), and shares are submitted upstream after the mutex is released.
//
//   Cluster cluster({}, &clock, upstream.get());
//   upstream->Start([&](const jobs::UpstreamJob& j) { cluster.OnJob(j); });
//   cluster.StartTicker();
//   ... reactors call Connect / OnMessage / Disconnect ...
//
// Downstream Stratum miners (docs/HUB.md) are share sources too: the Cluster implements
// shares::SourceHost (cluster_sources.cc) — an extranonce2 slot per connection, tuning, the same
// validator and ledger — and tells the attached SourcePort of every job.
//
// Several pools at once (docs/CLUSTER.md "Pool split"): with Options::split the upstream is a
// jobs::SplitUpstream whose jobs carry their pool's index; every pool has its own jobs, a clean
// job cancels only its own pool's work, the lease manager cuts each lease from the pools by the
// split's target shares, re-evaluated on every job and tick from the pools' health and the
// clock (cluster_split.cc), and shares go back to the pool of their job.
//
// Lock order: Cluster::mu_ → ShareLedger → StreamSink internals / the SourcePort's own locks.
// Sinks and the port never call back into the Cluster while holding their own lock;
// Upstream::Info() is read before mu_ is taken (the upstream may hold its own lock while it
// calls OnJob).
// Thread-safe.
#ifndef SYNTH_MASTER_SERVICE_CLUSTER_H_
#define SYNTH_MASTER_SERVICE_CLUSTER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/metrics/sample_window.h"
#include "master/jobs/job_manager.h"
#include "master/jobs/upstream.h"
#include "master/lease/extranonce_slots.h"
#include "master/lease/lease_manager.h"
#include "master/lease/pool_split.h"
#include "master/lease/tuning.h"
#include "master/service/rate_history.h"
#include "master/service/source_session.h"
#include "master/service/worker_session.h"
#include "master/shares/share_ledger.h"
#include "master/shares/share_source.h"
#include "master/shares/share_validator.h"
#include "synth/v1/control.pb.h"
#include "synth/v1/worker.pb.h"

namespace synth::service {

class Cluster : public shares::SourceHost {
 public:
  struct Options {
    lease::LeaseManager::Options lease;
    jobs::JobManager::Options jobs;
    lease::Tuning::Options tuning;
    shares::ShareLedger::Options ledger;  // Verdicts kept for resends; share flood limit.
    absl::Duration tick = absl::Milliseconds(100);    // Expiry check period.
    absl::Duration status_every = absl::Seconds(10);  // Status line period (0: never).
    uint32_t telemetry_interval_ms = 1000;            // Asked of workers in Welcome.
    std::string version = "0.1.0";
    // Observers for the monitoring histograms, called with the Cluster's mutex held (they must
    // be fast and must not call back into the Cluster): seconds of work in each granted lease
    // (hashes / the rate it was sized for), and each clean job's switch time (the job entering
    // the master -> every worker sent its cancel and new work).
    std::function<void(double seconds)> on_lease_granted;
    std::function<void(double seconds)> on_clean_job_switched;
    // The pool split (weights, levels, schedule) of the upstream's pools; nullopt: one pool or a
    // failover list, every job is pool 0's.
    std::optional<lease::PoolSplitConfig> split;
  };

  // One pool of the split, for synthctl pools and /metrics.
  struct PoolSplitStatus {
    double weight = 0;          // Weight in force now (the schedule window's or the base one).
    int level = 0;              // Fallback level.
    double target_share = 0;    // Share of the hashes it should get now (0..1).
    bool live = false;          // Connected with a current job.
    uint64_t hashes_assigned = 0;    // Leased (net of units returned) + downstream credit.
    double accepted_difficulty = 0;  // Sum of the difficulty of its accepted shares.
  };
  struct SplitStatus {
    std::vector<PoolSplitStatus> pools;  // By pool index; empty without a split.
    int level = -1;                      // The level doing the work (-1: none).
    int window = -1;                     // Schedule window in force (-1: base weights).
    bool paused = false;                 // The window in force has all weights 0.
  };

  Cluster(Options options, const Clock* clock, jobs::Upstream* upstream);
  ~Cluster() override;

  // Registers a stream after its Hello; sends Welcome through `sink`. Returns the session id.
  // INVALID_ARGUMENT for a Hello without worker_id or devices. A live session with the same
  // worker_id is closed (ABORTED) and replaced.
  absl::StatusOr<uint64_t> Connect(const v1::Hello& hello, const std::string& peer,
                                   StreamSink* sink);
  // Handles one message of a connected session (anything but Hello).
  void OnMessage(uint64_t session, const v1::WorkerMessage& msg);
  // Forgets a session; its leased units go back to the queue. Idempotent.
  void Disconnect(uint64_t session);

  // A new pool job (from the upstream's thread).
  void OnJob(const jobs::UpstreamJob& job);
  // Expires leases (cancelling them on their workers), refills the midstate cache, samples the
  // rate history, forgets old verdicts and logs the status line when due. Called by the ticker;
  // tests call it directly.
  void Tick();
  // Starts/stops the ticker thread (Tick every options.tick).
  void StartTicker();
  void StopTicker();
  // Cancels every lease (reason SHUTDOWN) and closes every stream.
  void Shutdown();

  // Operator drain (synthctl drain/undrain). A drained worker gets no new leases (requests
  // wait, as if there were no work); its leased units finish, or with `requeue` go back to the
  // queue at once and the worker gets Cancel{all, DRAINED}. Drain is kept by worker id, so it
  // survives a reconnect, until undrain. NOT_FOUND when no connected worker has that id (an
  // undrain of a drained, disconnected id succeeds); INVALID_ARGUMENT for an empty id.
  absl::StatusOr<v1::DrainResponse> Drain(const v1::DrainRequest& req);

  // ---- shares::SourceHost: downstream Stratum miners (cluster_sources.cc) ----
  // Slots exist only with options.jobs.downstream_slots > 0.
  void SetSourcePort(shares::SourcePort* port) override;
  absl::StatusOr<shares::SourceGrant> AddSource(const shares::SourceHello& hello) override;
  void UpdateSource(uint64_t source, const std::string& name, double difficulty,
                    double rate_hps) override;
  void RemoveSource(uint64_t source) override;
  shares::SourceOutcome SubmitShare(uint64_t source, const shares::SourceShare& share) override;
  void CountRefused(uint64_t source, uint64_t share_id, bool rate_limited) override;

  // Returns the split's figures (cluster_split.cc); empty pools without a split.
  SplitStatus Split() const;
  // Re-reads the pools' health from the upstream and sets the split's shares (Tick does it;
  // call without any Cluster lock held).
  void RefreshSplit();

  // Returns the coverage audit: the lease manager's and the extranonce2 slots'.
  absl::Status Audit() const;
  // Returns the ledger totals.
  v1::ShareCounts Counts() const { return ledger_.Totals(); }
  const shares::ShareLedger& ledger() const { return ledger_; }
  jobs::Upstream* upstream() const { return upstream_; }
  // Share found on the worker → handed to the upstream, milliseconds, the last 2000 shares.
  const metrics::SampleWindow& share_path_ms() const { return share_path_ms_; }

  // What the views (status_views.h) read, consistent under the Cluster's mutex.
  struct JobsSeen {
    double difficulty = 0;  // Of the newest pool job.
    std::string pool_job_id;
    absl::Time last_at = absl::InfinitePast();
    double clean_fanout_ms = 0;  // Pool notify of a clean job → cancel and grant on every stream.
    double clean_fanout_max_ms = 0;
    absl::flat_hash_map<std::string, std::pair<absl::Time, bool>> live;  // Key → (seen, clean).
  };
  struct View {
    const Options& options;
    absl::Time now, started;
    const absl::flat_hash_map<uint64_t, std::unique_ptr<Session>>& sessions;
    const absl::flat_hash_set<std::string>& drained;
    const jobs::JobManager& jobs;
    const lease::LeaseManager& leases;
    const lease::Tuning& tuning;
    const JobsSeen& seen;
    const RateHistory& rates;
    const std::string& coverage_audit;  // Recomputed at most every 5 s.
    // Downstream Stratum miners, their slots, the current job's notice (null before the first
    // job or without slots) and the port (null when off).
    const absl::flat_hash_map<uint64_t, std::unique_ptr<Source>>& sources;
    const lease::ExtranonceSlots& slots;
    const shares::JobNotice* notice;
    const shares::SourcePort* port;
  };
  // Calls `f` with the cluster's state, under the mutex: `f` must be quick and must not call
  // back into the Cluster (reading ledger() is fine: its lock comes after the Cluster's).
  void Inspect(absl::FunctionRef<void(const View&)> f) const;

 private:
  struct Submission {
    uint64_t ticket = 0;
    jobs::UpstreamShare share;
    int64_t found_unix_us = 0;  // Worker clock; 0 when the worker did not say.
  };

  void GrantLocked(Session& s, double seconds, uint64_t hashes, bool answers_request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Grants to every session waiting for work (not drained).
  void GrantWaitingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops dead jobs' units and cancels them on every worker (`all`: everything it holds).
  // Returns the workers that held units of them.
  std::vector<uint64_t> DropJobsLocked(const std::vector<std::string>& dead,
                                       v1::CancelReason reason, bool all)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sets the split's shares from the pools' health (`connected`, by pool) and the clock.
  void UpdateSplitLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts an accepted share of `pool` (from the upstream's thread).
  void CountAccepted(size_t pool, double difficulty);
  void DisconnectLocked(uint64_t session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnProgressLocked(Session& s, const v1::Progress& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTelemetryLocked(Session& s, const v1::Telemetry& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The share path (cluster_shares.cc): a resend is answered by the ledger; a new share is
  // rate-limited, validated, and either decided now or returned for SubmitUpstream.
  std::optional<Submission> OnShareLocked(Session& s, const v1::Share& share)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SubmitUpstream(Submission sub);
  bool DrainedLocked(const Session& s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return drained_.contains(s.worker_id);
  }
  // Tells the port of the current job (cluster_sources.cc).
  void NoticeJobLocked(bool clean, absl::Time entered) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Points `s`'s verdicts at `port` (null: nowhere) in the ledger.
  void AttachSourceLocked(Source& s, shares::SourcePort* port) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const Clock* const clock_;
  jobs::Upstream* const upstream_;
  const absl::Time started_;
  shares::ShareLedger ledger_;  // Thread-safe; taken after mu_.

  mutable absl::Mutex mu_;
  jobs::JobManager jobs_ ABSL_GUARDED_BY(mu_);
  lease::LeaseManager leases_ ABSL_GUARDED_BY(mu_);
  lease::Tuning tuning_ ABSL_GUARDED_BY(mu_);
  shares::ShareValidator validator_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::unique_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> by_worker_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> drained_ ABSL_GUARDED_BY(mu_);  // Worker ids.
  uint64_t next_session_ ABSL_GUARDED_BY(mu_) = 1;
  JobsSeen seen_ ABSL_GUARDED_BY(mu_);
  absl::Time last_status_ ABSL_GUARDED_BY(mu_);
  // Rate windows and history: running totals sampled about once a second.
  RateHistory rates_ ABSL_GUARDED_BY(mu_);
  double verified_difficulty_ ABSL_GUARDED_BY(mu_) = 0;
  // Last coverage audit shown to the views (recomputed when older than 5 s).
  mutable std::string audit_text_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time audit_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  // Downstream Stratum miners (cluster_sources.cc).
  absl::flat_hash_map<uint64_t, std::unique_ptr<Source>> sources_ ABSL_GUARDED_BY(mu_);
  lease::ExtranonceSlots slots_ ABSL_GUARDED_BY(mu_);
  shares::SourcePort* source_port_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::shared_ptr<const shares::JobNotice> notice_ ABSL_GUARDED_BY(mu_);  // The current job's.

  metrics::SampleWindow share_path_ms_{2000};  // Thread-safe.

  // The split (cluster_split.cc); policy_ is empty without one.
  const std::optional<lease::SplitPolicy> policy_;
  std::vector<bool> pool_connected_ ABSL_GUARDED_BY(mu_);  // By pool, as last read.
  lease::SplitTargets targets_ ABSL_GUARDED_BY(mu_);
  mutable absl::Mutex accepted_mu_;  // Taken alone, or after mu_.
  std::vector<double> accepted_difficulty_ ABSL_GUARDED_BY(accepted_mu_);  // By pool.

  std::unique_ptr<std::thread> ticker_;
  absl::Notification stop_ticker_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_CLUSTER_H_
