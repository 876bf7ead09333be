#include "master/service/cluster.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "master/service/messages.h"
#include "master/service/status_views.h"

namespace synth::service {
namespace {

lease::LeaseManager::Options LeaseOptions(const Cluster::Options& o) {
  lease::LeaseManager::Options l = o.lease;
  l.pools = o.split.has_value() ? o.split->pool_count() : 1;
  return l;
}

std::optional<lease::SplitPolicy> PolicyOf(const Cluster::Options& o) {
  if (!o.split.has_value()) return std::nullopt;
  return lease::SplitPolicy(*o.split);
}

}  // namespace

Cluster::Cluster(Options options, const Clock* clock, jobs::Upstream* upstream)
    : options_(options),
      clock_(clock),
      upstream_(upstream),
      started_(clock->Now()),
      ledger_(options.ledger, clock),
      jobs_(options.jobs),
      leases_(LeaseOptions(options), clock, &jobs_),
      tuning_(options.tuning, clock),
      validator_(&jobs_, &leases_),
      last_status_(clock->Now()),
      rates_(absl::Minutes(15) + absl::Seconds(5)),
      policy_(PolicyOf(options)) {
  rates_.Add(RatePoint{.at = started_});  // Windows longer than the uptime start here.
  const size_t pools = policy_.has_value() ? policy_->config().pool_count() : 1;
  absl::MutexLock lock(&mu_);
  pool_connected_.assign(pools, false);
  accepted_difficulty_.assign(pools, 0.0);
  UpdateSplitLocked();  // No pool is live yet: no work until the first job.
}

Cluster::~Cluster() { StopTicker(); }

absl::StatusOr<uint64_t> Cluster::Connect(const v1::Hello& hello, const std::string& peer,
                                          StreamSink* sink) {
  if (hello.worker_id().empty()) return absl::InvalidArgumentError("Hello without worker_id");
  if (hello.devices_size() == 0) return absl::InvalidArgumentError("Hello without devices");
  absl::MutexLock lock(&mu_);
  if (auto old = by_worker_id_.find(hello.worker_id()); old != by_worker_id_.end()) {
    uint64_t old_id = old->second;
    LOG(WARNING) << "worker " << hello.worker_id() << " reconnected; replacing session " << old_id;
    sessions_[old_id]->sink->Close(absl::AbortedError("replaced by a newer stream"));
    DisconnectLocked(old_id);
  }
  auto s = std::make_unique<Session>();
  s->id = next_session_++;
  s->sink = sink;
  s->worker_id = hello.worker_id();
  s->hostname = hello.hostname();
  s->version = hello.version();
  s->peer = peer;
  s->connected = clock_->Now();
  double rate = 0;
  tuning_.AddWorker(s->id, DevicesOf(hello, &rate));
  leases_.AddWorker(s->id, rate);
  sink->Send(WelcomeMessage(s->id, options_.version, options_.lease.lease_duration,
                            options_.telemetry_interval_ms));
  LOG(INFO) << "worker " << s->worker_id << " (" << s->hostname << ", " << peer
            << ") connected as session " << s->id << " with " << hello.devices_size()
            << " devices, " << rate / 1e6 << " MH/s";
  // Verdicts of its shares, including those sent on an earlier stream, now go to this one.
  ledger_.Attach(s->worker_id, s->id, s.get());
  uint64_t id = s->id;
  by_worker_id_[s->worker_id] = id;
  sessions_.emplace(id, std::move(s));
  return id;
}

void Cluster::Disconnect(uint64_t session) {
  absl::MutexLock lock(&mu_);
  DisconnectLocked(session);
}

void Cluster::DisconnectLocked(uint64_t session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  size_t requeued = leases_.RemoveWorker(session);
  tuning_.RemoveWorker(session);
  LOG(INFO) << "worker " << it->second->worker_id << " session " << session << " gone; "
            << requeued << " units re-queued";
  // Its verdicts are kept by the ledger for the shares it sends again after a reconnect.
  ledger_.Detach(it->second->worker_id, session);
  auto w = by_worker_id_.find(it->second->worker_id);
  if (w != by_worker_id_.end() && w->second == session) by_worker_id_.erase(w);
  sessions_.erase(it);
}

void Cluster::OnMessage(uint64_t session, const v1::WorkerMessage& msg) {
  std::optional<Submission> submit;
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    Session& s = *it->second;
    switch (msg.msg_case()) {
      case v1::WorkerMessage::kLeaseRequest: {
        const v1::LeaseRequest& r = msg.lease_request();
        if (r.rate_hps() > 0 && std::isfinite(r.rate_hps()) &&
            tuning_.ReportedRate(session) <= 0) {
          leases_.SetRate(session, r.rate_hps());
        }
        GrantLocked(s, r.seconds_wanted(), r.hashes_wanted(), /*answers_request=*/true);
        break;
      }
      case v1::WorkerMessage::kProgress:
        OnProgressLocked(s, msg.progress());
        break;
      case v1::WorkerMessage::kShare:
        submit = OnShareLocked(s, msg.share());
        break;
      case v1::WorkerMessage::kTelemetry:
        OnTelemetryLocked(s, msg.telemetry());
        break;
      case v1::WorkerMessage::kHello:
        LOG(WARNING) << "session " << session << ": second Hello ignored";
        break;
      default:
        break;  // Unknown message types from newer workers are ignored.
    }
  }
  if (submit.has_value()) SubmitUpstream(std::move(*submit));
}

void Cluster::GrantLocked(Session& s, double seconds, uint64_t hashes, bool answers_request) {
  // A drained worker is treated as if there were no work: its request waits (for undrain).
  lease::Lease lease = DrainedLocked(s) ? lease::Lease{} : leases_.Grant(s.id, seconds, hashes);
  if (lease.units.empty()) {
    if (answers_request) {
      s.request_pending = true;  // Answered when work exists.
      s.seconds_wanted = seconds;
      s.hashes_wanted = hashes;
    }
    return;
  }
  s.request_pending = false;
  uint64_t granted = 0;
  s.sink->Send(GrantMessage(lease, &s.sent, &granted));
  if (options_.on_lease_granted && lease.sized_for_rate_hps > 0) {
    options_.on_lease_granted(static_cast<double>(granted) / lease.sized_for_rate_hps);
  }
}

void Cluster::GrantWaitingLocked() {
  for (auto& [id, s] : sessions_) {
    if (s->request_pending && !DrainedLocked(*s)) {
      GrantLocked(*s, s->seconds_wanted, s->hashes_wanted, true);
    }
  }
}

void Cluster::OnProgressLocked(Session& s, const v1::Progress& p) {
  for (const v1::UnitProgress& u : p.units()) {
    absl::Status st;
    if (u.state() == v1::UNIT_STATE_COMPLETED) {
      st = leases_.Complete(s.id, u.unit_id());
    } else if (u.state() == v1::UNIT_STATE_RETURNED) {
      st = leases_.Return(s.id, u.unit_id(), u.contiguous_done());
    }
    if (!st.ok()) VLOG(1) << "worker " << s.worker_id << " progress: " << st;
  }
}

void Cluster::OnTelemetryLocked(Session& s, const v1::Telemetry& t) {
  for (const v1::DeviceTelemetry& d : t.devices()) {
    tuning_.OnTelemetry(s.id, d.device(), d.rate_hps(), d.batch_latency_ms());
    tuning_.OnDeviceHealth(s.id, d.device(), d.hung(), d.hangs());
  }
  leases_.SetRate(s.id, tuning_.SizingRate(s.id));
}

void Cluster::OnJob(const jobs::UpstreamJob& job) {
  absl::Time entered = absl::Now();  // Real time: the fan-out figure includes waiting for mu_.
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::vector<std::string>> dead = jobs_.AddJob(job);
  if (!dead.ok()) {
    LOG(ERROR) << "pool job " << job.notify.job_id << " refused: " << dead.status();
    return;
  }
  seen_.difficulty = job.difficulty;
  seen_.pool_job_id = job.notify.job_id;
  seen_.last_at = clock_->Now();
  const std::string& key = jobs_.current(job.pool);
  seen_.live[key] = {seen_.last_at, job.notify.clean_jobs};
  VLOG(1) << "job " << key << " of pool " << job.pool << " diff " << job.difficulty
          << (job.notify.clean_jobs ? " clean" : "");
  // A clean job ends everything only without a split; in one it ends its own pool's jobs.
  const bool clean_all = job.notify.clean_jobs && !policy_.has_value();
  std::vector<uint64_t> dropped = DropJobsLocked(
      *dead, job.notify.clean_jobs ? v1::CANCEL_REASON_CLEAN_JOB : v1::CANCEL_REASON_UNSPECIFIED,
      clean_all);
  const absl::flat_hash_set<uint64_t> held(dropped.begin(), dropped.end());
  // The pool now has a job: the split's shares may change (and waiting workers get work).
  if (job.pool < pool_connected_.size()) pool_connected_[job.pool] = true;  // It just spoke.
  UpdateSplitLocked();
  // Push fresh work at once: after a clean job every worker that lost work (without a split:
  // every worker), otherwise those waiting for work.
  for (auto& [id, s] : sessions_) {
    bool lost = clean_all || (job.notify.clean_jobs && held.contains(id));
    if (lost || s->request_pending) {
      GrantLocked(*s, s->seconds_wanted, s->hashes_wanted, s->request_pending);
    }
  }
  // The Stratum port's miners mine pool 0's jobs (docs/CLUSTER.md "Pool split").
  if (job.pool == 0) NoticeJobLocked(job.notify.clean_jobs, entered);
  if (job.notify.clean_jobs) {
    seen_.clean_fanout_ms = absl::ToDoubleMilliseconds(absl::Now() - entered);
    seen_.clean_fanout_max_ms = std::max(seen_.clean_fanout_max_ms, seen_.clean_fanout_ms);
    if (options_.on_clean_job_switched) {
      options_.on_clean_job_switched(seen_.clean_fanout_ms / 1000);
    }
  }
}

std::vector<uint64_t> Cluster::DropJobsLocked(const std::vector<std::string>& dead,
                                              v1::CancelReason reason, bool all) {
  if (dead.empty()) return {};
  std::vector<uint64_t> holders = leases_.DropJobs(dead);
  validator_.DropJobs(dead);
  for (auto& [id, s] : sessions_) {
    for (const std::string& k : dead) s->sent.erase(k);
  }
  for (const std::string& k : dead) seen_.live.erase(k);
  v1::MasterMessage cancel =
      CancelMessage(reason, all, dead, {}, absl::StrCat(dead.size(), " jobs ended"));
  // Everyone gets the cancel (a worker may still hold units it reported done); a clean job
  // cancels everything at once.
  for (auto& [id, s] : sessions_) s->sink->Send(cancel);
  VLOG(1) << "dropped " << dead.size() << " jobs held by " << holders.size() << " workers";
  return holders;
}

void Cluster::Tick() {
  RefreshSplit();
  bool status_due = false;
  std::optional<double> nominal_hps;  // Told to the upstream once a second.
  {
    absl::MutexLock lock(&mu_);
    for (auto& [worker, units] : leases_.ExpireLeases()) {
      auto it = sessions_.find(worker);
      if (it == sessions_.end()) continue;
      LOG(WARNING) << "worker " << it->second->worker_id << ": lease of " << units.size()
                   << " units expired; re-queued";
      it->second->sink->Send(CancelMessage(v1::CANCEL_REASON_LEASE_EXPIRED, false, {}, units));
    }
    GrantWaitingLocked();  // Re-queued work goes to whoever waits for it.
    jobs_.Fill();
    absl::Time now = clock_->Now();
    if (now - rates_.newest() >= absl::Seconds(1)) {
      nominal_hps = tuning_.ClusterReportedRate();
      rates_.Add(RatePoint{.at = now,
                           .reported_hps = tuning_.ClusterReportedRate(),
                           .verified_hps = tuning_.ClusterVerifiedRate(),
                           .verified_difficulty = verified_difficulty_,
                           .accepted_difficulty = ledger_.Totals().accepted_difficulty()});
    }
    if (options_.status_every > absl::ZeroDuration() &&
        now - last_status_ >= options_.status_every) {
      last_status_ = now;
      status_due = true;
    }
  }
  ledger_.Expire();
  // Outside mu_: the upstream takes its own locks (an SV2 pool hears it in UpdateChannel).
  if (nominal_hps) upstream_->SetNominalHashrate(*nominal_hps);
  if (status_due) LOG(INFO) << StatusLine(*this);  // Reads the upstream, then Inspect()s.
}

void Cluster::StartTicker() {
  ticker_ = std::make_unique<std::thread>([this] {
    while (!stop_ticker_.WaitForNotificationWithTimeout(options_.tick)) Tick();
  });
}

void Cluster::StopTicker() {
  if (ticker_ == nullptr) return;
  if (!stop_ticker_.HasBeenNotified()) stop_ticker_.Notify();
  ticker_->join();
  ticker_.reset();
}

void Cluster::Shutdown() {
  absl::MutexLock lock(&mu_);
  v1::MasterMessage cancel = CancelMessage(v1::CANCEL_REASON_SHUTDOWN, /*all=*/true);
  std::vector<uint64_t> ids;
  for (auto& [id, s] : sessions_) {
    s->sink->Send(cancel);
    s->sink->Close(absl::UnavailableError("master shutting down"));
    ids.push_back(id);
  }
  for (uint64_t id : ids) DisconnectLocked(id);
}

absl::StatusOr<v1::DrainResponse> Cluster::Drain(const v1::DrainRequest& req) {
  if (req.worker_id().empty()) return absl::InvalidArgumentError("drain: no worker id given");
  absl::MutexLock lock(&mu_);
  v1::DrainResponse r;
  r.set_worker_id(req.worker_id());
  auto it = by_worker_id_.find(req.worker_id());
  if (it == by_worker_id_.end()) {
    if (req.undrain() && drained_.erase(req.worker_id()) > 0) return r;
    return absl::NotFoundError(absl::StrCat("no connected worker '", req.worker_id(),
                                            "' (synthctl workers lists them)"));
  }
  Session& s = *sessions_.at(it->second);
  if (req.undrain()) {
    drained_.erase(s.worker_id);
    LOG(INFO) << "worker " << s.worker_id << " undrained by an operator";
    if (s.request_pending) GrantLocked(s, s.seconds_wanted, s.hashes_wanted, true);
  } else {
    drained_.insert(s.worker_id);
    r.set_draining(true);
    if (req.requeue()) {
      r.set_units_requeued(leases_.Reclaim(s.id));
      s.sink->Send(CancelMessage(v1::CANCEL_REASON_DRAINED, /*all=*/true, {}, {},
                                 "drained by an operator"));
      GrantWaitingLocked();  // Its units go to whoever waits for work.
    }
    LOG(INFO) << "worker " << s.worker_id << " drained by an operator"
              << (req.requeue() ? absl::StrCat(", ", r.units_requeued(), " units re-queued")
                                : std::string(", its leases finish"));
  }
  r.set_units_leased(leases_.UnitsLeasedTo(s.id));
  return r;
}

absl::Status Cluster::Audit() const {
  absl::MutexLock lock(&mu_);
  absl::Status s = leases_.Audit();
  return s.ok() ? slots_.Audit() : s;
}

void Cluster::Inspect(absl::FunctionRef<void(const View&)> f) const {
  absl::MutexLock lock(&mu_);
  // The audit walks every unit: run it at most every 5 s (status is polled by dashboards).
  if (absl::Time now = absl::Now(); now - audit_at_ >= absl::Seconds(5)) {
    absl::Status audit = leases_.Audit();
    if (audit.ok()) audit = slots_.Audit();
    audit_text_ = audit.ok() ? "ok" : std::string(audit.message());
    audit_at_ = now;
  }
  f(View{options_, clock_->Now(), started_, sessions_, drained_, jobs_, leases_, tuning_, seen_,
         rates_, audit_text_, sources_, slots_, notice_.get(), source_port_});
}

}  // namespace synth::service
