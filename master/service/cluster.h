// File: master/service/cluster.h
//
// The master's core: jobs, midstates, leases, tuning and the share ledger behind one mutex, and
// the worker sessions they talk to. The gRPC reactors (worker_service.h) feed it worker messages
// and give it a StreamSink per stream; the upstream adapter feeds it jobs; a ticker thread
// expires leases and prints the status line. Every entry point takes the mutex briefly and never
// blocks on I/O: messages to workers are handed to the sinks (which only queue), and shares are
// submitted upstream after the mutex is released.
//
//   Cluster cluster({}, &clock, upstream.get());
//   upstream->Start([&](const jobs::UpstreamJob& j) { cluster.OnJob(j); });
//   cluster.StartTicker();
//   ... reactors call Connect / OnMessage / Disconnect ...
//   ... ControlServiceImpl calls the Fill* views, Drain and SwitchPool (cluster_control.cc) ...
//
// Downstream Stratum miners (docs/HUB.md) are share sources too: the Cluster implements
// shares::SourceHost (cluster_sources.cc) — an extranonce2 slot per connection, tuning, the same
// validator and ledger — and tells the attached SourcePort of every job.
//
// Lock order: Cluster::mu_ → StreamSink internals, and Cluster::mu_ → the SourcePort's own
// locks. Sinks and the port never call back into the Cluster while holding their own lock.
// Thread-safe.
#ifndef SYNTH_MASTER_SERVICE_CLUSTER_H_
#define SYNTH_MASTER_SERVICE_CLUSTER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "master/jobs/job_manager.h"
#include "master/jobs/upstream.h"
#include "common/clock.h"
#include "master/lease/extranonce_slots.h"
#include "master/lease/lease_manager.h"
#include "master/lease/tuning.h"
#include "master/service/rate_history.h"
#include "master/shares/share_source.h"
#include "master/shares/share_validator.h"
#include "synth/v1/control.pb.h"
#include "synth/v1/worker.pb.h"

namespace synth::service {

// Where the Cluster sends a session's messages: one gRPC stream. Both calls are made with the
// Cluster's mutex held; they must only queue and return.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues a message for the worker.
  virtual void Send(v1::MasterMessage msg) = 0;
  // Ends the stream with `status` (after the message in flight, if any).
  virtual void Close(const absl::Status& status) = 0;
};

class Cluster : public shares::SourceHost {
 public:
  struct Options {
    lease::LeaseManager::Options lease;
    jobs::JobManager::Options jobs;
    lease::Tuning::Options tuning;
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
    // Share flood limit per worker, a token bucket (docs/DESIGN.md §6): a share beyond it is not
    // verified but counted `rate_limited` in the ledger and answered SHARE_STATE_RATE_LIMITED,
    // and the worker is flagged for a minute. The allowed rate is the larger of max_share_rate
    // and 8x the share rate that its sizing rate and the current share difficulty make
    // plausible, capped at 64 x max_share_rate; the bucket holds share_burst_seconds of it.
    double max_share_rate = 1000;  // Shares/s per worker; 0: no limit.
    double share_burst_seconds = 2;
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
  // Expires leases (cancelling them on their workers), refills the midstate cache, and prints
  // the status line when due. Called by the ticker; tests call it directly.
  void Tick();
  // Starts/stops the ticker thread (Tick every options.tick).
  void StartTicker();
  void StopTicker();

  // Cancels every lease (reason SHUTDOWN) and closes every stream.
  void Shutdown();

  // Control-service views. FillStatus adds the rate samples of the last `history` (at most
  // 15 minutes) to out->history.
  void FillStatus(v1::StatusResponse* out, absl::Duration history = absl::ZeroDuration()) const;
  void FillWorkers(v1::WorkersResponse* out) const;
  shares::ShareCounts Counts() const;
  // The ledger totals and the `limit` most recent shares with their verdicts (newest first).
  void FillShares(uint32_t limit, v1::SharesResponse* out) const;
  // Every live job with its age, flags and units.
  void FillJobs(v1::JobsResponse* out) const;
  // Every pool of the upstream (Upstream::Pools).
  void FillPools(v1::PoolsResponse* out) const;

  // Operator drain (synthctl drain/undrain). A drained worker gets no new leases (requests
  // wait, as if there were no work); its leased units finish, or with `requeue` go back to the
  // queue at once and the worker gets Cancel{all, DRAINED}. Drain is kept by worker id, so it
  // survives a reconnect, until undrain. NOT_FOUND when no connected worker has that id (an
  // undrain of a drained, disconnected id succeeds); INVALID_ARGUMENT for an empty id.
  absl::StatusOr<v1::DrainResponse> Drain(const v1::DrainRequest& req);
  // Operator pool switch (synthctl pool switch): Upstream::SwitchPool by index or URL.
  // INVALID_ARGUMENT when the request names neither.
  absl::StatusOr<v1::SwitchPoolResponse> SwitchPool(const v1::SwitchPoolRequest& req);
  // Returns the coverage audit of the lease manager.
  absl::Status Audit() const;
  // Returns the share-path latency percentile `p` (0..1) in ms and the sample count.
  std::pair<double, size_t> SharePathMs(double p) const;
  // Returns " | share path p50 .. ms p99 .. ms (n)", or "" without samples.
  std::string SharePathText() const;
  // Returns the one-line status summary. (Upstream::Info() is always read before mu_ is taken:
  // the upstream may hold its own lock while it calls OnJob.)
  std::string StatusLine() const;

  // ---- shares::SourceHost: downstream Stratum miners (cluster_sources.cc) ----
  // Slots exist only with options.jobs.downstream_slots > 0.
  void SetSourcePort(shares::SourcePort* port) override;
  absl::StatusOr<shares::SourceGrant> AddSource(const shares::SourceHello& hello) override;
  void UpdateSource(uint64_t source, const std::string& name, double difficulty,
                    double rate_hps) override;
  void RemoveSource(uint64_t source) override;
  shares::SourceOutcome SubmitShare(uint64_t source, const shares::SourceShare& share) override;
  void CountRefused(uint64_t source, bool rate_limited) override;

 private:
  struct Session {
    uint64_t id = 0;
    StreamSink* sink = nullptr;
    std::string worker_id, hostname, version, peer;
    absl::Time connected;
    bool request_pending = false;  // A LeaseRequest waits for work.
    double seconds_wanted = 0;
    uint64_t hashes_wanted = 0;
    absl::flat_hash_map<std::string, absl::flat_hash_set<uint64_t>> sent;  // job → midstates.
    shares::ShareCounts shares;
    double share_tokens = -1;  // Share rate-limit bucket; < 0: full (never used).
    absl::Time share_refill;   // When share_tokens was last topped up.
    absl::Time rate_limited_at = absl::InfinitePast();  // Last share over the limit.
  };
  // A downstream Stratum connection.
  struct Source {
    uint64_t id = 0;
    uint64_t slot = 0;
    std::string name, user_agent, peer;
    absl::Time connected;
    double difficulty = 0;
    shares::ShareCounts shares;
  };
  // A share submitted upstream, waiting for the pool's answer.
  struct PendingShare {
    uint64_t session = 0;
    uint64_t share_id = 0;
    std::string device;
    double difficulty = 0;
    std::string worker_id;  // For the recent-shares list, once answered.
    std::string job_key;
    uint32_t nonce = 0;
    uint64_t source = 0;  // A downstream miner's share (0: a worker's, see session).
  };
  // When the master first saw a live job (for synthctl jobs).
  struct JobSeen {
    absl::Time at;
    bool clean = false;
  };
  struct Submission {
    uint64_t pending_id = 0;
    jobs::UpstreamShare share;
    int64_t found_unix_us = 0;  // Worker clock; 0 when the worker did not say.
  };

  void GrantLocked(Session& s, double seconds, uint64_t hashes, bool answers_request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops dead jobs' units and cancels them on every worker (`all`: everything it holds).
  void DropJobsLocked(const std::vector<std::string>& dead, v1::CancelReason reason, bool all)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DisconnectLocked(uint64_t session) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnProgressLocked(Session& s, const v1::Progress& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTelemetryLocked(Session& s, const v1::Telemetry& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<Submission> OnShareLocked(Session& s, const v1::Share& share)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes one share token of `s`; false when the worker is over its share rate limit.
  bool TakeShareTokenLocked(Session& s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SubmitUpstream(Submission sub);
  void OnSubmitResult(uint64_t pending_id, const jobs::SubmitResult& result);
  void SendVerdictLocked(uint64_t session, uint64_t share_id, shares::ShareState state,
                         const std::string& reason, int pool_code, double difficulty)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string StatusLineLocked(const jobs::UpstreamInfo& info) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Tells the port of the current job (cluster_sources.cc).
  void NoticeJobLocked(bool clean, absl::Time entered) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The pool's answer to a downstream miner's share.
  void ResolveSourceLocked(const PendingShare& p, shares::ShareState state,
                           const jobs::SubmitResult& result) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillSourcesLocked(absl::Time now, v1::WorkersResponse* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillPortLocked(v1::StatusResponse* out) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds the devices of worker or source `id` (tuning's records) to `w`.
  void FillDevicesLocked(uint64_t id, absl::Time connected, absl::Time now,
                         v1::WorkerStatus* w) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Remembers a share's final verdict for FillShares (the last kRecentShares).
  void RecordShareLocked(const std::string& worker_id, const std::string& device,
                         uint64_t share_id, const std::string& job_key, uint32_t nonce,
                         double difficulty, shares::ShareState state, const std::string& reason,
                         int pool_code) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds a rate point when a second has passed since the last one.
  void SampleRatesLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FillRatesLocked(absl::Time now, absl::Duration history, v1::StatusResponse* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool DrainedLocked(const Session& s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return drained_.contains(s.worker_id);
  }

  static constexpr size_t kRecentShares = 1000;
  const Options options_;
  const Clock* const clock_;
  jobs::Upstream* const upstream_;
  const absl::Time started_;

  mutable absl::Mutex mu_;
  jobs::JobManager jobs_ ABSL_GUARDED_BY(mu_);
  lease::LeaseManager leases_ ABSL_GUARDED_BY(mu_);
  lease::Tuning tuning_ ABSL_GUARDED_BY(mu_);
  shares::ShareValidator validator_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, std::unique_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> by_worker_id_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, PendingShare> pending_ ABSL_GUARDED_BY(mu_);
  uint64_t next_session_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_pending_ ABSL_GUARDED_BY(mu_) = 1;
  double pool_difficulty_ ABSL_GUARDED_BY(mu_) = 0;
  std::string pool_job_id_ ABSL_GUARDED_BY(mu_);
  absl::Time last_status_ ABSL_GUARDED_BY(mu_);
  absl::Time last_job_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  // Pool notify of a clean job → Cancel and fresh grant queued on every stream, milliseconds.
  double clean_fanout_ms_ ABSL_GUARDED_BY(mu_) = 0;
  double clean_fanout_max_ms_ ABSL_GUARDED_BY(mu_) = 0;
  // Last coverage audit shown by FillStatus (recomputed when older than 5 s).
  mutable std::string audit_text_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time audit_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  // Operator state (cluster_control.cc): drained worker ids, the latest verdicts, job ages.
  absl::flat_hash_set<std::string> drained_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::ShareRecord> recent_shares_ ABSL_GUARDED_BY(mu_);  // Newest at the back.
  absl::flat_hash_map<std::string, JobSeen> job_seen_ ABSL_GUARDED_BY(mu_);
  // Rate windows and history: running totals sampled about once a second.
  RateHistory rates_ ABSL_GUARDED_BY(mu_);
  double verified_difficulty_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pool_switches_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_rate_sample_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  // Share-path latency samples (found on the worker → handed to the upstream), milliseconds.
  mutable absl::Mutex latency_mu_;
  std::deque<double> share_path_ms_ ABSL_GUARDED_BY(latency_mu_);

  // Downstream Stratum miners (cluster_sources.cc).
  absl::flat_hash_map<uint64_t, std::unique_ptr<Source>> sources_ ABSL_GUARDED_BY(mu_);
  lease::ExtranonceSlots slots_ ABSL_GUARDED_BY(mu_);
  shares::SourcePort* source_port_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::shared_ptr<const shares::JobNotice> notice_ ABSL_GUARDED_BY(mu_);  // The current job's.

  std::unique_ptr<std::thread> ticker_;
  absl::Notification stop_ticker_;
};

// Fills a wire Midstate from a master midstate.
void ToProto(const jobs::Midstate& m, v1::Midstate* out);
// Maps a ledger state to the wire enum.
v1::ShareState ToProto(shares::ShareState state);
// Fills wire share counts from the ledger's.
void ToProto(const shares::ShareCounts& c, v1::ShareCounts* out);
// Adds one share in `state` (final or pending) to `c`.
void CountIn(shares::ShareCounts& c, shares::ShareState state, double difficulty);

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_CLUSTER_H_
