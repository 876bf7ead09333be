// File: master/jobs/split_upstream.h
//
// The upstream of a pool split (docs/CLUSTER.md "Pool split"): one session per pool, all active
// at once. Every job is tagged with its pool's index (UpstreamJob::pool) before it reaches the
// master, and every share goes to the pool its job came from (UpstreamShare::pool), so the
// Cluster mines several pools through the one Upstream interface. Without a split, the master
// keeps one upstream whose pools are a failover list, and every job is pool 0's.
//
//   std::vector<std::unique_ptr<Upstream>> each = ...;   // one single-pool upstream per --pool
//   SplitUpstream up(std::move(each));
//   up.Start([&](const UpstreamJob& j) { cluster.OnJob(j); });   // j.pool: 0 or 1
//   up.Submit(share, done);                                      // to pools_[share.pool]
//   up.Pools();                                                  // one entry per pool, by index
//
// Thread-safe (the pools are thread-safe; the list is fixed at construction). Job callbacks run
// on each pool's own thread.
#ifndef SYNTH_MASTER_JOBS_SPLIT_UPSTREAM_H_
#define SYNTH_MASTER_JOBS_SPLIT_UPSTREAM_H_

#include <memory>
#include <string>
#include <vector>

#include "master/jobs/upstream.h"

namespace synth::jobs {

class SplitUpstream : public Upstream {
 public:
  // `pools` (at least one, none null): one upstream per pool of the split, by index.
  explicit SplitUpstream(std::vector<std::unique_ptr<Upstream>> pools);

  // Starts every pool; `on_job` gets each pool's jobs with UpstreamJob::pool set.
  void Start(JobCallback on_job) override;
  void Stop() override;
  // Sends the share to pool share.pool; an index out of range is answered not_sent at once.
  void Submit(const UpstreamShare& share, SubmitCallback done) override;
  // url: every pool's URL, ','-joined; connected: any pool is.
  UpstreamInfo Info() const override;
  // One entry per pool (index = its place in the split), each active.
  std::vector<UpstreamPool> Pools() const override;
  // A split has no failover choice: FAILED_PRECONDITION (the weights decide).
  absl::StatusOr<UpstreamPool> SwitchPool(int index) override;
  absl::StatusOr<UpstreamPool> SwitchPool(const std::string& url) override;

  // Returns whether pool `index` is connected (false for a bad index).
  bool Connected(size_t index) const;
  size_t size() const { return pools_.size(); }

 private:
  const std::vector<std::unique_ptr<Upstream>> pools_;
};

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_SPLIT_UPSTREAM_H_
