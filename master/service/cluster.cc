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

Core::Options CoreOptionsOf(const Cluster::Options& o) {
  Core::Options c{.lease = o.lease, .jobs = o.jobs, .tuning = o.tuning, .ledger = o.ledger};
  c.lease.pools = o.split.has_value() ? o.split->pool_count() : 1;
  return c;
}

}  // namespace

Cluster::Cluster(Options options, const Clock* clock, jobs::Upstream* upstream)
    : options_(std::move(options)),
      started_(clock->Now()),
      core_(CoreOptionsOf(options_), clock, upstream,
            [this](size_t pool, double difficulty) { split_.CountAccepted(pool, difficulty); }),
      hub_(&core_, options_.split.has_value()),
      split_(options_.split, &core_),
      last_status_(started_),
      rates_(absl::Minutes(15) + absl::Seconds(5)) {
  rates_.Add(RatePoint{.at = started_});  // Windows longer than the uptime start here.
}

Cluster::~Cluster() { StopTicker(); }

absl::StatusOr<uint64_t> Cluster::Connect(const v1::Hello& hello, const std::string& peer,
                                          StreamSink* sink) {
  if (hello.worker_id().empty()) return absl::InvalidArgumentError("Hello without worker_id");
  if (hello.devices_size() == 0) return absl::InvalidArgumentError("Hello without devices");
  absl::MutexLock lock(&core_.mu);
  if (auto old = by_worker_id_.find(hello.worker_id()); old != by_worker_id_.end()) {
    uint64_t old_id = old->second;
    LOG(WARNING) << "worker " << hello.worker_id() << " reconnected; replacing session " << old_id;
    sessions_[old_id]->sink->Close(absl::AbortedError("replaced by a newer stream"));
    DisconnectLocked(old_id);
  }
  auto s = std::make_unique<Session>();
  s->id = core_.next_id++;
  s->sink = sink;
  s->worker_id = hello.worker_id();
  s->hostname = hello.hostname();
  s->version = hello.version();
  s->peer = peer;
  s->connected = core_.clock->Now();
  double rate = 0;
  core_.tuning.AddWorker(s->id, DevicesOf(hello, &rate));
  core_.leases.AddWorker(s->id, rate);
  sink->Send(WelcomeMessage(s->id, options_.version, options_.lease.lease_duration,
                            options_.telemetry_interval_ms));
  LOG(INFO) << "worker " << s->worker_id << " (" << s->hostname << ", " << peer
            << ") connected as session " << s->id << " with " << hello.devices_size()
            << " devices, " << rate / 1e6 << " MH/s";
  // Verdicts of its shares, including those sent on an earlier stream, now go to this one.
  core_.ledger.Attach(s->worker_id, s->id, s.get());
  uint64_t id = s->id;
  by_worker_id_[s->worker_id] = id;
  sessions_.emplace(id, std::move(s));
  return id;
}

void Cluster::Disconnect(uint64_t session) {
  absl::MutexLock lock(&core_.mu);
  DisconnectLocked(session);
}

void Cluster::DisconnectLocked(uint64_t session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  size_t requeued = core_.leases.RemoveWorker(session);
  core_.tuning.RemoveWorker(session);
  LOG(INFO) << "worker " << it->second->worker_id << " session " << session << " gone; "
            << requeued << " units re-queued";
  // Its verdicts are kept by the ledger for the shares it sends again after a reconnect.
  core_.ledger.Detach(it->second->worker_id, session);
  auto w = by_worker_id_.find(it->second->worker_id);
  if (w != by_worker_id_.end() && w->second == session) by_worker_id_.erase(w);
  sessions_.erase(it);
}

void Cluster::OnMessage(uint64_t session, const v1::WorkerMessage& msg) {
  std::optional<Core::Submission> submit;
  {
    absl::MutexLock lock(&core_.mu);
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;
    Session& s = *it->second;
    switch (msg.msg_case()) {
      case v1::WorkerMessage::kLeaseRequest: {
        const v1::LeaseRequest& r = msg.lease_request();
        if (r.rate_hps() > 0 && std::isfinite(r.rate_hps()) &&
            core_.tuning.ReportedRate(session) <= 0) {
          core_.leases.SetRate(session, r.rate_hps());
        }
        GrantLocked(s, r.seconds_wanted(), r.hashes_wanted(), /*answers_request=*/true);
        break;
      }
      case v1::WorkerMessage::kProgress:
        OnProgressLocked(s, msg.progress());
        break;
      case v1::WorkerMessage::kShare:
        submit = core_.WorkerShareLocked(s.id, s.worker_id, msg.share(), seen_.difficulty);
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
  if (submit.has_value()) core_.Submit(std::move(*submit));
}

void Cluster::GrantLocked(Session& s, double seconds, uint64_t hashes, bool answers_request) {
  // A drained worker is treated as if there were no work: its request waits (for undrain).
  lease::Lease lease =
      DrainedLocked(s) ? lease::Lease{} : core_.leases.Grant(s.id, seconds, hashes);
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
      st = core_.leases.Complete(s.id, u.unit_id());
    } else if (u.state() == v1::UNIT_STATE_RETURNED) {
      st = core_.leases.Return(s.id, u.unit_id(), u.contiguous_done());
    }
    if (!st.ok()) VLOG(1) << "worker " << s.worker_id << " progress: " << st;
  }
}

void Cluster::OnTelemetryLocked(Session& s, const v1::Telemetry& t) {
  for (const v1::DeviceTelemetry& d : t.devices()) {
    core_.tuning.OnTelemetry(s.id, d.device(), d.rate_hps(), d.batch_latency_ms(),
                             d.window_busy_s());
    core_.tuning.OnDeviceHealth(s.id, d.device(), d.hung(), d.hangs());
  }
  core_.leases.SetRate(s.id, core_.tuning.SizingRate(s.id));
}

void Cluster::OnJob(const jobs::UpstreamJob& job) {
  absl::Time entered = absl::Now();  // Real time: the fan-out figure includes waiting for mu_.
  absl::MutexLock lock(&core_.mu);
  absl::StatusOr<std::vector<std::string>> dead = core_.jobs.AddJob(job);
  if (!dead.ok()) {
    LOG(ERROR) << "pool job " << job.notify.job_id << " refused: " << dead.status();
    return;
  }
  seen_.difficulty = job.difficulty;
  seen_.pool_job_id = job.notify.job_id;
  seen_.last_at = core_.clock->Now();
  const std::string& key = core_.jobs.current(job.pool);
  seen_.live[key] = {seen_.last_at, job.notify.clean_jobs};
  VLOG(1) << "job " << key << " of pool " << job.pool << " diff " << job.difficulty
          << (job.notify.clean_jobs ? " clean" : "");
  // A clean job ends everything only without a split; in one it ends its own pool's jobs.
  const bool clean_all = job.notify.clean_jobs && !split_.enabled();
  std::vector<uint64_t> dropped = DropJobsLocked(
      *dead, job.notify.clean_jobs ? v1::CANCEL_REASON_CLEAN_JOB : v1::CANCEL_REASON_UNSPECIFIED,
      clean_all);
  const absl::flat_hash_set<uint64_t> held(dropped.begin(), dropped.end());
  // The pool now has a job: the split's shares may change (and waiting workers get work).
  split_.OnJobLocked(job.pool);
  // Push fresh work at once: after a clean job every worker that lost work (without a split:
  // every worker), otherwise those waiting for work.
  for (auto& [id, s] : sessions_) {
    bool lost = clean_all || (job.notify.clean_jobs && held.contains(id));
    if (lost || s->request_pending) {
      GrantLocked(*s, s->seconds_wanted, s->hashes_wanted, s->request_pending);
    }
  }
  // The Stratum port's miners of this pool hear of it; with a split, those of a pool that
  // cannot take them any more move (docs/CLUSTER.md "Pool split").
  hub_.NoticeJobLocked(job.pool, job.notify.clean_jobs, entered);
  hub_.RerouteLocked();
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
  std::vector<uint64_t> holders = core_.leases.DropJobs(dead);
  core_.validator.DropJobs(dead);
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
  std::vector<bool> pools = split_.ReadHealth();  // Before the lock: the upstream takes its own.
  bool status_due = false;
  std::optional<double> nominal_hps;  // Told to the upstream once a second.
  {
    absl::MutexLock lock(&core_.mu);
    // Whoever waits is granted below; the port's miners of a pool that went down move now.
    if (split_.SetHealthLocked(std::move(pools))) hub_.RerouteLocked();
    hub_.CreditLocked();  // The miners' measured rates count toward their pools' shares.
    for (auto& [worker, units] : core_.leases.ExpireLeases()) {
      auto it = sessions_.find(worker);
      if (it == sessions_.end()) continue;
      LOG(WARNING) << "worker " << it->second->worker_id << ": lease of " << units.size()
                   << " units expired; re-queued";
      it->second->sink->Send(CancelMessage(v1::CANCEL_REASON_LEASE_EXPIRED, false, {}, units));
    }
    GrantWaitingLocked();  // Re-queued work goes to whoever waits for it.
    core_.jobs.Fill();
    absl::Time now = core_.clock->Now();
    if (now - rates_.newest() >= absl::Seconds(1)) {
      nominal_hps = core_.tuning.ClusterReportedRate();
      rates_.Add(RatePoint{.at = now,
                           .reported_hps = core_.tuning.ClusterReportedRate(),
                           .verified_hps = core_.tuning.ClusterVerifiedRate(),
                           .verified_difficulty = core_.verified_difficulty,
                           .accepted_difficulty = core_.ledger.Totals().accepted_difficulty()});
    }
    if (options_.status_every > absl::ZeroDuration() &&
        now - last_status_ >= options_.status_every) {
      last_status_ = now;
      status_due = true;
    }
  }
  core_.ledger.Expire();
  // Outside mu_: the upstream takes its own locks (an SV2 pool hears it in UpdateChannel).
  if (nominal_hps) core_.upstream->SetNominalHashrate(*nominal_hps);
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
  absl::MutexLock lock(&core_.mu);
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
  absl::MutexLock lock(&core_.mu);
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
      r.set_units_requeued(core_.leases.Reclaim(s.id));
      s.sink->Send(CancelMessage(v1::CANCEL_REASON_DRAINED, /*all=*/true, {}, {},
                                 "drained by an operator"));
      GrantWaitingLocked();  // Its units go to whoever waits for work.
    }
    LOG(INFO) << "worker " << s.worker_id << " drained by an operator"
              << (req.requeue() ? absl::StrCat(", ", r.units_requeued(), " units re-queued")
                                : std::string(", its leases finish"));
  }
  r.set_units_leased(core_.leases.UnitsLeasedTo(s.id));
  return r;
}

absl::Status Cluster::Audit() const {
  absl::MutexLock lock(&core_.mu);
  absl::Status s = core_.leases.Audit();
  return s.ok() ? hub_.slots().Audit() : s;
}

void Cluster::Inspect(absl::FunctionRef<void(const View&)> f) const {
  absl::MutexLock lock(&core_.mu);
  // The audit walks every unit: run it at most every 5 s (status is polled by dashboards).
  if (absl::Time now = absl::Now(); now - audit_at_ >= absl::Seconds(5)) {
    absl::Status audit = core_.leases.Audit();
    if (audit.ok()) audit = hub_.slots().Audit();
    audit_text_ = audit.ok() ? "ok" : std::string(audit.message());
    audit_at_ = now;
  }
  f(View{options_, core_.clock->Now(), started_, sessions_, drained_, core_.jobs, core_.leases,
         core_.tuning, seen_, rates_, audit_text_, hub_});
}

}  // namespace synth::service
