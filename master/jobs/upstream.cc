#include "master/jobs/upstream.h"

namespace synth::jobs {

stratum::StratumJob ToStratumJob(const UpstreamJob& job) {
  stratum::StratumJob s;
  s.job_id = job.job_id;
  s.prev_hash = job.prev_hash;
  s.coinb1 = job.coinb1;
  s.coinb2 = job.coinb2;
  s.merkle_branch.assign(job.merkle_branch.begin(), job.merkle_branch.end());
  s.version = job.version;
  s.nbits = job.nbits;
  s.ntime = job.ntime;
  s.clean_jobs = job.clean;
  return s;
}

std::vector<UpstreamPool> Upstream::Pools() const {
  UpstreamInfo info = Info();
  UpstreamPool p;
  p.url = info.url;
  p.active = true;
  p.connected = info.connected;
  p.preferred = true;
  p.state = info.connected ? "active" : "connecting";
  return {p};
}

absl::StatusOr<UpstreamPool> Upstream::SwitchPool(int) {
  return absl::UnimplementedError("this upstream has a single pool; nothing to switch to");
}

absl::StatusOr<UpstreamPool> Upstream::SwitchPool(const std::string&) {
  return absl::UnimplementedError("this upstream has a single pool; nothing to switch to");
}

}  // namespace synth::jobs
