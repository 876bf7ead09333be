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
    // The full header version: a V1 session sends only `version & mask`, an SV2 session the
    // whole of it.
    ClientShare s{share.job_id, share.extranonce2, share.ntime, share.nonce, share.version,
                  share.difficulty};
    absl::MutexLock l(&mu_);
    if (!client_) {
      done(jobs::SubmitResult{.accepted = false, .code = 0, .reason = "not started", .not_sent = true});
      return;
    }
    client_->Submit(s, [done = std::move(done)](const SubmitResult& r) { done(ToUpstreamResult(r)); });
  }

  void SetNominalHashrate(double hashes_per_second) override {
    absl::MutexLock l(&mu_);
    if (client_) client_->SetNominalHashrate(hashes_per_second);
  }

  std::vector<jobs::UpstreamPool> Pools() const override {
    absl::MutexLock l(&mu_);
    if (!client_) return {};
    return ToUpstreamPools(client_->Status());
  }

  absl::StatusOr<jobs::UpstreamPool> SwitchPool(int index) override {
    absl::MutexLock l(&mu_);
    if (!client_) return absl::FailedPreconditionError("the pool client is not running");
    absl::Status s = client_->SwitchPool(index);
    if (!s.ok()) return s;
    return ToUpstreamPools(client_->Status())[index];
  }

  absl::StatusOr<jobs::UpstreamPool> SwitchPool(const std::string& url) override {
    absl::MutexLock l(&mu_);
    if (!client_) return absl::FailedPreconditionError("the pool client is not running");
    // A new pool signs in like the first configured one (--user/--pass).
    PoolEndpoint p{url, options_.pools.front().user, options_.pools.front().pass, 0};
    absl::StatusOr<int> index = client_->AddAndSwitchPool(std::move(p));
    if (!index.ok()) return index.status();
    return ToUpstreamPools(client_->Status())[*index];
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
  u.notify = j.job;
  u.difficulty = j.difficulty;
  u.extranonce1 = j.extranonce1;
  u.extranonce2_size = j.extranonce2_size;
  u.version_mask = j.version_mask;
  return u;
}

std::vector<jobs::UpstreamPool> ToUpstreamPools(const ClientStatus& s) {
  std::vector<jobs::UpstreamPool> out;
  for (size_t i = 0; i < s.pools.size(); ++i) {
    const PoolStats& p = s.pools[i];
    jobs::UpstreamPool u;
    u.index = static_cast<int>(i);
    u.url = p.url;
    u.active = u.index == s.current;
    u.connected = u.active && s.connected;
    u.preferred = u.index == s.preferred;
    u.added = p.added;
    u.state = u.active ? (u.connected ? "active" : "connecting")
                       : (u.index == s.probing ? "probing" : "standby");
    u.accepted = p.accepted;
    u.rejected = p.rejected;
    u.stale = p.stale;
    u.connects = p.connects;
    u.disconnects = p.disconnects;
    u.failovers = p.failovers;
    out.push_back(std::move(u));
  }
  return out;
}

jobs::SubmitResult ToUpstreamResult(const SubmitResult& r) {
  jobs::SubmitResult out;
  out.accepted = r.outcome == SubmitOutcome::kAccepted;
  out.code = r.code;
  if (r.outcome == SubmitOutcome::kStale && out.code == 0) out.code = kErrJobNotFound;
  out.stale = r.outcome == SubmitOutcome::kStale;
  out.reason = r.reason.empty() ? OutcomeName(r.outcome) : r.reason;
  // Held while the pool was down and never sent: the ledger's pool-down state, not stale.
  out.not_sent = !r.sent || r.outcome == SubmitOutcome::kPoolDown;
  // Sent and never answered: the ledger's timed-out state, not a rejection.
  out.timed_out = r.sent && r.outcome == SubmitOutcome::kTimedOut;
  return out;
}

absl::StatusOr<std::unique_ptr<jobs::Upstream>> MakeClientUpstream(ClientOptions options) {
  absl::StatusOr<std::unique_ptr<Client>> probe = Client::Create(options, {});
  if (!probe.ok()) return probe.status();
  return std::unique_ptr<jobs::Upstream>(new ClientUpstream(std::move(options)));
}

}  // namespace synth::stratum
