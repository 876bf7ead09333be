// File: master/service/core.h
//
// What the master's clients share, under one mutex, and the share path they all take. The
// Cluster (cluster.h) routes the workers' gRPC sessions, the SourceHub (source_hub.h) the
// Stratum port's miners and the SplitState (split_state.h) keeps the pool split's shares; each
// keeps its own records and works on the Core's jobs, leases, tuning and validator under
// Core::mu. A share of either kind of client is checked under the mutex (the ledger answers a
// resend; a new share is validated and counted in tuning) and either decided at once or
// returned as a Submission, which Submit hands to the upstream after the mutex is released; the
// pool's answer goes straight to the ledger.
//
//   std::optional<Core::Submission> sub;
//   {
//     absl::MutexLock lock(&core.mu);
//     sub = core.WorkerShareLocked(session, "rig-1", share, pool_difficulty);
//   }
//   if (sub.has_value()) core.Submit(*std::move(sub));
//
// Lock order: Core::mu -> ShareLedger -> the stream sinks' and the port's own locks.
// Thread-safe as annotated: the GUARDED_BY(mu) members only under mu; ledger, share_path_ms
// and Submit from any thread.
#ifndef SYNTH_MASTER_SERVICE_CORE_H_
#define SYNTH_MASTER_SERVICE_CORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/metrics/sample_window.h"
#include "master/jobs/job_manager.h"
#include "master/jobs/upstream.h"
#include "master/lease/lease_manager.h"
#include "master/lease/tuning.h"
#include "master/shares/share_ledger.h"
#include "master/shares/share_validator.h"
#include "synth/v1/worker.pb.h"

namespace synth::service {

class Core {
 public:
  struct Options {
    lease::LeaseManager::Options lease;
    jobs::JobManager::Options jobs;
    lease::Tuning::Options tuning;
    shares::ShareLedger::Options ledger;  // Verdicts kept for resends; share flood limit.
  };
  // A share for the pool, checked under mu and submitted outside it.
  struct Submission {
    uint64_t ticket = 0;  // The ledger's.
    jobs::UpstreamShare share;
    int64_t found_unix_us = 0;  // Worker clock; 0 when the worker did not say.
  };

  // `on_accepted(pool, difficulty)` is told of every share a pool accepted (from the
  // upstream's thread, no lock held); may be empty.
  Core(const Options& options, const Clock* clock, jobs::Upstream* upstream,
       std::function<void(size_t pool, double difficulty)> on_accepted);

  // A worker's share (session `session` of `worker_id`): a resend is answered by the ledger;
  // a new one is rate-limited (by the worker's rate at `pool_difficulty`), validated, counted
  // in tuning and decided, or returned for Submit.
  std::optional<Submission> WorkerShareLocked(uint64_t session, const std::string& worker_id,
                                              const v1::Share& share, double pool_difficulty)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Hands a share to the upstream and its answer to the ledger. Call without mu held.
  void Submit(Submission sub) ABSL_LOCKS_EXCLUDED(mu);

  const Clock* const clock;
  jobs::Upstream* const upstream;
  shares::ShareLedger ledger;  // Thread-safe; taken after mu.
  // Share found on the worker -> handed to the upstream, milliseconds, the last 2000 shares.
  metrics::SampleWindow share_path_ms{2000};  // Thread-safe.

  mutable absl::Mutex mu;
  jobs::JobManager jobs ABSL_GUARDED_BY(mu);
  lease::LeaseManager leases ABSL_GUARDED_BY(mu);
  lease::Tuning tuning ABSL_GUARDED_BY(mu);
  shares::ShareValidator validator ABSL_GUARDED_BY(mu);
  // Worker sessions and Stratum miners take ids from one counter: tuning and the lease
  // manager know both by id.
  uint64_t next_id ABSL_GUARDED_BY(mu) = 1;
  // Sum of the difficulty of every verified share (workers' and miners').
  double verified_difficulty ABSL_GUARDED_BY(mu) = 0;

 private:
  const std::function<void(size_t pool, double difficulty)> on_accepted_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_CORE_H_
