// The adapter from the Stratum client (master/stratum/client.h) to jobs::Upstream.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "master/service/stratum_upstream.h"
#include "master/stratum/client.h"

namespace synth::service {
namespace {

jobs::UpstreamJob ToUpstreamJob(const stratum::ClientJob& c) {
  jobs::UpstreamJob j;
  j.job_id = c.job.job_id;
  j.prev_hash = c.job.prev_hash;
  j.coinb1 = c.job.coinb1;
  j.coinb2 = c.job.coinb2;
  j.merkle_branch.assign(c.job.merkle_branch.begin(), c.job.merkle_branch.end());
  j.version = c.job.version;
  j.nbits = c.job.nbits;
  j.ntime = c.job.ntime;
  j.clean = c.job.clean_jobs;
  j.difficulty = c.difficulty;
  j.extranonce1 = c.extranonce1;
  j.extranonce2_size = c.extranonce2_size;
  j.version_mask = c.version_mask;
  return j;
}

jobs::SubmitResult ToSubmitResult(const stratum::SubmitResult& r) {
  jobs::SubmitResult out;
  out.accepted = r.outcome == stratum::SubmitOutcome::kAccepted;
  out.stale = r.outcome == stratum::SubmitOutcome::kStale;
  out.not_sent = !r.sent && !out.accepted && !out.stale;
  out.code = r.code;
  out.reason = r.reason.empty() ? stratum::OutcomeName(r.outcome) : r.reason;
  return out;
}

class StratumClientUpstream : public jobs::Upstream {
 public:
  explicit StratumClientUpstream(const std::vector<PoolConfig>& pools) {
    for (size_t i = 0; i < pools.size(); ++i) {
      options_.pools.push_back({pools[i].url, pools[i].user, pools[i].pass, static_cast<int>(i)});
    }
  }

  // Creates the client (URL errors surface here, before anything starts).
  absl::Status Init() {
    stratum::ClientCallbacks cb;
    cb.on_job = [this](const stratum::ClientJob& job) {
      JobCallback on_job;
      {
        absl::MutexLock lock(&mu_);
        on_job = on_job_;
      }
      if (on_job) on_job(ToUpstreamJob(job));
    };
    cb.on_connection = [](bool connected, const std::string& url) {
      LOG(INFO) << "pool " << url << (connected ? " connected" : " disconnected");
    };
    absl::StatusOr<std::unique_ptr<stratum::Client>> client =
        stratum::Client::Create(options_, std::move(cb));
    if (!client.ok()) return client.status();
    client_ = *std::move(client);
    return absl::OkStatus();
  }

  void Start(JobCallback on_job) override {
    {
      absl::MutexLock lock(&mu_);
      on_job_ = std::move(on_job);
    }
    client_->Start();
  }
  void Stop() override { client_->Stop(); }

  void Submit(const jobs::UpstreamShare& share, SubmitCallback done) override {
    stratum::ClientShare s;
    s.job_id = share.job_id;
    s.extranonce2 = share.extranonce2;
    s.ntime = share.ntime;
    s.nonce = share.nonce;
    s.version = share.version;
    client_->Submit(
        s, [done = std::move(done)](const stratum::SubmitResult& r) { done(ToSubmitResult(r)); });
  }

  jobs::UpstreamInfo Info() const override {
    stratum::ClientStatus s = client_->Status();
    return {s.url.empty() ? options_.pools.front().url : s.url, s.connected};
  }

 private:
  stratum::ClientOptions options_;
  std::unique_ptr<stratum::Client> client_;
  absl::Mutex mu_;
  JobCallback on_job_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<jobs::Upstream>> MakeStratumClientUpstream(
    const std::vector<PoolConfig>& pools) {
  auto up = std::make_unique<StratumClientUpstream>(pools);
  if (absl::Status s = up->Init(); !s.ok()) return s;
  return std::unique_ptr<jobs::Upstream>(std::move(up));
}

}  // namespace synth::service
