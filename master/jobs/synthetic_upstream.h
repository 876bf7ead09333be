// File: master/jobs/synthetic_upstream.h
//
// An in-process stand-in for a pool, for benchmarks and demos that must not depend on a pool:
// it issues a new random job every `interval` (clean or not), at a fixed difficulty, and accepts
// every submitted share (the master has verified it already). Selected with
// `synth-master --pool synthetic://DIFFICULTY[/INTERVAL_SECONDS[/clean]]`.
//
//   ASSIGN_OR_RETURN(auto up, SyntheticUpstream::FromUrl("synthetic://0.002/30"));
//   up->Start([&](const UpstreamJob& j) { cluster.OnJob(j); });
//
// Thread-safe. Jobs are delivered from its own thread.
#ifndef SYNTH_MASTER_JOBS_SYNTHETIC_UPSTREAM_H_
#define SYNTH_MASTER_JOBS_SYNTHETIC_UPSTREAM_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "master/jobs/upstream.h"

namespace synth::jobs {

class SyntheticUpstream : public Upstream {
 public:
  // Parses "synthetic://DIFFICULTY[/INTERVAL_SECONDS[/clean]]"; INVALID_ARGUMENT otherwise.
  static absl::StatusOr<std::unique_ptr<SyntheticUpstream>> FromUrl(const std::string& url);

  SyntheticUpstream(double difficulty, absl::Duration interval, bool clean);
  ~SyntheticUpstream() override;

  void Start(JobCallback on_job) override;
  void Stop() override;
  void Submit(const UpstreamShare& share, SubmitCallback done) override;
  UpstreamInfo Info() const override;

  uint64_t submitted() const { return submitted_.load(); }

 private:
  UpstreamJob MakeJob(uint64_t n, bool clean) const;

  const double difficulty_;
  const absl::Duration interval_;
  const bool clean_;
  std::string url_;
  std::unique_ptr<std::thread> thread_;
  absl::Notification stop_;
  std::atomic<uint64_t> submitted_{0};
};

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_SYNTHETIC_UPSTREAM_H_
