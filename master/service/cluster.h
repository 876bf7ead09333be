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
// The Cluster owns the Core (core.h) the other clients share: the SourceHub (source_hub.h,
// the Stratum port's miners, told of every pool's jobs) and the SplitState (split_state.h, the
// pool split: each pool has its own jobs, a clean job cancels only its own pool's work, the
// lease manager cuts each lease from the pools by the split's target shares, and the port's
// miners are routed whole to pools, their measured rate credited to them at every tick).
//
// Lock order: Core::mu → ShareLedger → StreamSink internals / the SourcePort's own locks.
// Sinks and the port never call back into the Cluster while holding their own lock;
// Upstream::Info() is read before Core::mu is taken (the upstream may hold its own lock while it
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
#include "master/service/core.h"
#include "master/service/rate_history.h"
#include "master/service/source_hub.h"
#include "master/service/split_state.h"
#include "master/service/worker_session.h"
#include "synth/v1/control.pb.h"
#include "synth/v1/worker.pb.h"

namespace synth::service {

class Cluster {
 public:
  struct Options {
    lease::LeaseManager::Options lease;  // lease.pools is set from `split`.
    jobs::JobManager::Options jobs;
    lease::Tuning::Options tuning;
    shares::ShareLedger::Options ledger;  // Verdicts kept for resends; share flood limit.
    absl::Duration tick = absl::Milliseconds(100);    // Expiry check period.
    absl::Duration status_every = absl::Seconds(10);  // Status line period (0: never).
    uint32_t telemetry_interval_ms = 1000;            // Asked of workers in Welcome.
    std::string version = "0.1.0";
    // Observers for the monitoring histograms, called with the Core's mutex held (they must
    // be fast and must not call back into the Cluster): seconds of work in each granted lease
    // (hashes / the rate it was sized for), and each clean job's switch time (the job entering
    // the master -> every worker sent its cancel and new work).
    std::function<void(double seconds)> on_lease_granted;
    std::function<void(double seconds)> on_clean_job_switched;
    // The pool split (weights, levels, schedule) of the upstream's pools; nullopt: one pool or a
    // failover list, every job is pool 0's.
    std::optional<lease::PoolSplitConfig> split;
  };

  Cluster(Options options, const Clock* clock, jobs::Upstream* upstream);
  ~Cluster();

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

  // The Stratum port's host (the port attaches itself to it).
  SourceHub& sources() { return hub_; }
  // Returns the split's figures; no pools without a split.
  SplitStatus Split() const { return split_.Status(); }

  // Returns the coverage audit: the lease manager's and the extranonce2 slots'.
  absl::Status Audit() const;
  // Returns the ledger totals.
  v1::ShareCounts Counts() const { return core_.ledger.Totals(); }
  const shares::ShareLedger& ledger() const { return core_.ledger; }
  jobs::Upstream* upstream() const { return core_.upstream; }
  // Share found on the worker → handed to the upstream, milliseconds, the last 2000 shares.
  const metrics::SampleWindow& share_path_ms() const { return core_.share_path_ms; }

  // What the views (status_views.h) read, consistent under the Core's mutex.
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
    const SourceHub& hub;               // The Stratum port's miners (its accessors).
  };
  // Calls `f` with the cluster's state, under the Core's mutex: `f` must be quick and must not
  // call back into the Cluster (reading ledger() is fine: its lock comes after the Core's).
  void Inspect(absl::FunctionRef<void(const View&)> f) const;

 private:
  void GrantLocked(Session& s, double seconds, uint64_t hashes, bool answers_request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_.mu);
  // Grants to every session waiting for work (not drained).
  void GrantWaitingLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_.mu);
  // Drops dead jobs' units and cancels them on every worker (`all`: everything it holds).
  // Returns the workers that held units of them.
  std::vector<uint64_t> DropJobsLocked(const std::vector<std::string>& dead,
                                       v1::CancelReason reason, bool all)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_.mu);
  void DisconnectLocked(uint64_t session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_.mu);
  void OnProgressLocked(Session& s, const v1::Progress& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_.mu);
  void OnTelemetryLocked(Session& s, const v1::Telemetry& t)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_.mu);
  bool DrainedLocked(const Session& s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(core_.mu) {
    return drained_.contains(s.worker_id);
  }

  const Options options_;
  const absl::Time started_;
  Core core_;
  SourceHub hub_;
  SplitState split_;

  absl::flat_hash_map<uint64_t, std::unique_ptr<Session>> sessions_ ABSL_GUARDED_BY(core_.mu);
  absl::flat_hash_map<std::string, uint64_t> by_worker_id_ ABSL_GUARDED_BY(core_.mu);
  absl::flat_hash_set<std::string> drained_ ABSL_GUARDED_BY(core_.mu);  // Worker ids.
  JobsSeen seen_ ABSL_GUARDED_BY(core_.mu);
  absl::Time last_status_ ABSL_GUARDED_BY(core_.mu);
  // Rate windows and history: running totals sampled about once a second.
  RateHistory rates_ ABSL_GUARDED_BY(core_.mu);
  // Last coverage audit shown to the views (recomputed when older than 5 s).
  mutable std::string audit_text_ ABSL_GUARDED_BY(core_.mu);
  mutable absl::Time audit_at_ ABSL_GUARDED_BY(core_.mu) = absl::InfinitePast();

  std::unique_ptr<std::thread> ticker_;
  absl::Notification stop_ticker_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_CLUSTER_H_
