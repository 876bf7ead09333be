// File: master/jobs/job_manager.h
//
// The master's jobs and their midstates. Each pool job gets a master job key
// "<instance>.<seq>/<pool id>" (pool job ids repeat across reconnects and master restarts; keys
// never do; the text after the last '/' is always the pool's job id). Jobs belong to a pool
// (UpstreamJob::pool: one of the split's active pools, docs/CLUSTER.md "Pool split"; always 0
// without a split), and every pool has its own jobs: its newest job is its "current" one, new
// midstates of the pool come from it, in JobBuilder order, through a cache kept `cache_ahead`
// deep so that a lease never waits on hashing (Fill() tops every pool's up; NextMidstate()
// refills when it runs dry). Older jobs stay live (their shares are still valid) until a clean
// job of the same pool or Kill, and only the last `max_live_jobs` of each pool are kept.
//
//   JobManager jobs({});
//   ASSIGN_OR_RETURN(std::vector<std::string> dead, jobs.AddJob(upstream_job));
//   std::shared_ptr<const Midstate> m = jobs.NextMidstate();   // nullptr: no job
//   const JobInfo* info = jobs.FindJob(m->job_key);
//
// Thread-compatible: the owner (service::Cluster) serializes every call.
#ifndef SYNTH_MASTER_JOBS_JOB_MANAGER_H_
#define SYNTH_MASTER_JOBS_JOB_MANAGER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "common/stratum/job.h"
#include "master/jobs/extranonce_space.h"
#include "master/jobs/job_builder.h"
#include "master/jobs/midstate.h"
#include "master/jobs/upstream.h"

namespace synth::jobs {

// A live job.
struct JobInfo {
  std::string key;          // Master job key.
  JobBuilder builder;       // The job as notified (difficulty, extranonce1, mask included).
  uint64_t next_index = 0;  // Next midstate index to build.
  uint64_t group_id = 0;    // version_group of the extranonce2 being built.
  std::string pool_key;     // Pool job id + extranonce1: what the pool's duplicate check sees.
  uint64_t seq = 0;         // 1 for the first job added, then 2, 3, ...
  // How its extranonce2 is split between synth-workers (slot 0) and downstream miners.
  ExtranoncePartition partition;
  size_t pool = 0;  // UpstreamJob::pool.
  // The job in Stratum form, for judging downstream miners' submits (set when the partition
  // has slots).
  std::shared_ptr<const stratum::StratumJob> stratum;
};

class JobManager {
 public:
  struct Options {
    size_t cache_ahead = 64;     // Midstates kept precomputed for the current job.
    size_t max_live_jobs = 16;   // Older non-clean jobs beyond this die.
    size_t remember_dead = 256;  // Dead job keys remembered (to call late shares "stale").
    // Downstream Stratum connections to carve extranonce2 slots for (extranonce_space.h);
    // 0: none, every extranonce2 byte is the synth-workers' counter.
    uint64_t downstream_slots = 0;
    // Prefix that makes job keys unique across master restarts ("" = 6 random hex digits), so
    // a share a worker held across a master restart never matches a new job by accident.
    std::string instance;
  };
  // Pools a job may name (UpstreamJob::pool < kMaxPools).
  static constexpr size_t kMaxPools = 64;

  explicit JobManager(Options options);

  // Adds a job and makes it its pool's current one. Returns the keys of jobs that died because
  // of it (every other job of its pool when clean). INVALID_ARGUMENT for an unusable job or a
  // pool index >= kMaxPools (nothing changes).
  absl::StatusOr<std::vector<std::string>> AddJob(const UpstreamJob& job);

  // Kills every job (pool down, shutdown); returns their keys.
  std::vector<std::string> KillAll();

  // Returns the next unused midstate of `pool`'s current job; nullptr when there is none.
  std::shared_ptr<const Midstate> NextMidstate(size_t pool = 0);

  // Returns the midstate NextMidstate(pool) would return, without taking it; nullptr when none.
  std::shared_ptr<const Midstate> PeekMidstate(size_t pool = 0);

  // Tops every pool's cache up to cache_ahead midstates. Cheap when already full.
  void Fill();

  // Returns a midstate of a live job by id, or nullptr.
  std::shared_ptr<const Midstate> FindMidstate(uint64_t midstate_id) const;

  // Returns a live job by key, or nullptr.
  const JobInfo* FindJob(const std::string& key) const;

  // True when `key` named a job that has died (recently).
  bool IsDead(const std::string& key) const { return dead_set_.contains(key); }

  // Key of `pool`'s current job, "" when none.
  const std::string& current(size_t pool = 0) const;
  // True when `key` is the current job of its pool.
  bool IsCurrent(const std::string& key) const;
  // Pools that have had a job (the highest pool index seen + 1).
  size_t pool_count() const { return pools_.size(); }
  // seq of the newest job added (0: none yet) and of the oldest live job (newest + 1: none live).
  uint64_t newest_seq() const { return job_seq_; }
  uint64_t oldest_live_seq() const;
  size_t cached() const;
  size_t live_jobs() const { return jobs_.size(); }

  // Forgets midstates no longer referenced from outside (call now and then).
  void ForgetUnused();

  const Options& options() const { return options_; }

 private:
  // One pool's current job and its midstate cache.
  struct PoolJobs {
    std::string current;
    std::deque<std::shared_ptr<const Midstate>> cache;
  };

  // The jobs that die when `job` joins (its pool's, oldest first).
  std::vector<std::string> DyingFor(const UpstreamJob& job) const;
  void Kill(const std::string& key);
  void RememberIndex(const JobInfo& job);
  std::shared_ptr<const Midstate> BuildOne(size_t pool);
  void FillPool(size_t pool);

  const Options options_;
  std::string instance_;
  uint64_t job_seq_ = 0;
  uint64_t next_midstate_id_ = 1;
  std::vector<PoolJobs> pools_;    // By pool index.
  std::deque<std::string> order_;  // Live job keys, oldest first.
  absl::flat_hash_map<std::string, std::unique_ptr<JobInfo>> jobs_;
  absl::flat_hash_map<uint64_t, std::shared_ptr<const Midstate>> midstates_;  // Live jobs only.
  std::deque<std::string> dead_order_;
  absl::flat_hash_set<std::string> dead_set_;
  // Where each recent pool job (pool_key) stopped building: a job notified again (a resumed
  // session re-sends its jobs) continues after the extranonce2s already handed out, so its
  // shares are not duplicates of the ones found before the reconnect.
  absl::flat_hash_map<std::string, uint64_t> resume_index_;
  std::deque<std::string> resume_order_;
};

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_JOB_MANAGER_H_
