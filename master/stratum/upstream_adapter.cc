#include "master/stratum/upstream_adapter.h"

#include "absl/synchronization/mutex.h"

namespace synth::stratum {
namespace {

class ClientUpstream : public jobs::Upstream {
 public:
  explicit ClientUpstream(ClientOptions options) : options_(std::move(options)) {}
  ~ClientUpstream() override { Stop(); }

  void Start(JobCallback on_job) override {
    ClientCallbacks cb;
    cb.on_job = [on_job = std::move(on_job)](const ClientJob& j) { on_job(ToUpstreamJob(j)); };
    absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(options_, std::move(cb));
    if (!c.ok()) return;  // Create() was already checked by MakeClientUpstream.
    absl::MutexLock l(&mu_);
    client_ = std::move(*c);
    client_->Start();
  }

  void Stop() override {
    std::unique_ptr<Client> c;
    {
      absl::MutexLock l(&mu_);
      c = std::move(client_);
    }
    if (c) c->Stop();
  }

  void Submit(const jobs::UpstreamShare& share, SubmitCallback done) override {
    ClientShare s{share.job_id, share.extranonce2, share.ntime, share.nonce,
                  share.has_version_bits ? share.version_bits : 0};
    absl::MutexLock l(&mu_);
    if (!client_) {
      done(jobs::SubmitResult{.accepted = false, .code = 0, .reason = "not started", .not_sent = true});
      return;
    }
    client_->Submit(s, [done = std::move(done)](const SubmitResult& r) { done(ToUpstreamResult(r)); });
  }

  jobs::UpstreamInfo Info() const override {
    absl::MutexLock l(&mu_);
    jobs::UpstreamInfo info;
    if (client_) {
      ClientStatus s = client_->Status();
      info.url = s.url;
      info.connected = s.connected;
    }
    return info;
  }

 private:
  const ClientOptions options_;
  mutable absl::Mutex mu_;
  std::unique_ptr<Client> client_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

jobs::UpstreamJob ToUpstreamJob(const ClientJob& j) {
  jobs::UpstreamJob u;
  u.job_id = j.job.job_id;
  u.prev_hash = j.job.prev_hash;
  u.coinb1 = j.job.coinb1;
  u.coinb2 = j.job.coinb2;
  u.merkle_branch.assign(j.job.merkle_branch.begin(), j.job.merkle_branch.end());
  u.version = j.job.version;
  u.nbits = j.job.nbits;
  u.ntime = j.job.ntime;
  u.clean = j.job.clean_jobs;
  u.difficulty = j.difficulty;
  u.extranonce1 = j.extranonce1;
  u.extranonce2_size = j.extranonce2_size;
  u.version_mask = j.version_mask;
  return u;
}

jobs::SubmitResult ToUpstreamResult(const SubmitResult& r) {
  jobs::SubmitResult out;
  out.accepted = r.outcome == SubmitOutcome::kAccepted;
  out.code = r.code;
  if (r.outcome == SubmitOutcome::kStale && out.code == 0) out.code = kErrJobNotFound;
  out.reason = r.reason.empty() ? OutcomeName(r.outcome) : r.reason;
  out.not_sent = !r.sent;
  return out;
}

absl::StatusOr<std::unique_ptr<jobs::Upstream>> MakeClientUpstream(ClientOptions options) {
  absl::StatusOr<std::unique_ptr<Client>> probe = Client::Create(options, {});
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<jobs::Upstream>(new ClientUpstream(std::move(options)));
}

}  // namespace synth::stratum
