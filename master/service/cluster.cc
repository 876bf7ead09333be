#include "master/service/cluster.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/midstate_codec.h"
#include "common/hash/sha256.h"
#include "common/logging.h"

namespace synth::service {

void ToProto(const jobs::Midstate& m, v1::Midstate* out) {
  out->set_midstate_id(m.midstate_id);
  out->set_job_id(m.job_key);
  proto::EncodeScanWork(m.work, out);
  out->set_version(m.version);
  out->set_share_difficulty(m.difficulty);
  out->set_version_group(m.version_group);
}

Cluster::Cluster(Options options, const Clock* clock, jobs::Upstream* upstream)
    : options_(options),
      clock_(clock),
      upstream_(upstream),
      started_(clock->Now()),
      jobs_(options.jobs),
      leases_(options.lease, clock, &jobs_),
      tuning_(options.tuning, clock),
      validator_(&jobs_, &leases_),
      last_status_(clock->Now()),
      rates_(absl::Minutes(15) + absl::Seconds(5)) {
  rates_.Add(RatePoint{.at = started_});  // Windows longer than the uptime start here.
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
  std::vector<lease::DeviceRecord> devices;
  double rate = 0;
  for (const v1::DeviceInfo& d : hello.devices()) {
    // A broken benchmark (NaN, inf, negative) must not poison the cluster rate or size an
    // endless lease: such a device counts as "rate unknown" (0) until its telemetry reports
    // one, which is what LeaseManager does for a worker without a rate.
    double benchmarked = d.benchmarked_rate_hps();
    if (!std::isfinite(benchmarked) || benchmarked < 0) {
      LOG(WARNING) << "worker " << hello.worker_id() << " device " << d.name()
                   << ": benchmarked rate " << benchmarked << " H/s is not a finite rate >= 0;"
                   << " using 0 (unknown) until its telemetry reports one";
      benchmarked = 0;
    }
    devices.push_back({.name = d.name(),
                       .kind = d.kind() == v1::DEVICE_KIND_CUDA ? "cuda" : "cpu",
                       .impl = d.impl(),
                       .benchmarked_rate_hps = benchmarked});
    rate += benchmarked;
  }
  tuning_.AddWorker(s->id, std::move(devices));
  leases_.AddWorker(s->id, rate);
  v1::MasterMessage welcome;
  welcome.mutable_welcome()->set_session_id(s->id);
  welcome.mutable_welcome()->set_master_version(options_.version);
  welcome.mutable_welcome()->set_lease_seconds(
      absl::ToDoubleSeconds(options_.lease.lease_duration));
  welcome.mutable_welcome()->set_telemetry_interval_ms(options_.telemetry_interval_ms);
  sink->Send(std::move(welcome));
  LOG(INFO) << "worker " << s->worker_id << " (" << s->hostname << ", " << peer
            << ") connected as session " << s->id << " with " << hello.devices_size()
            << " devices, " << rate / 1e6 << " MH/s";
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
  LOG(INFO) << "worker " << it->second->worker_id << " session " << session << " gone; " << requeued
            << " units re-queued";
  auto w = by_worker_id_.find(it->second->worker_id);
  if (w != by_worker_id_.end() && w->second == session) by_worker_id_.erase(w);
  sessions_.erase(it);
  // Verdicts of its pending shares have nowhere to go; the ledger still resolves them.
  for (auto& [id, p] : pending_) {
    if (p.session == session) p.session = 0;
  }
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
  v1::MasterMessage msg;
  v1::LeaseGrant* g = msg.mutable_lease_grant();
  g->set_lease_id(lease.lease_id);
  g->set_expires_in_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(lease.expires_in)));
  g->set_sized_for_rate_hps(lease.sized_for_rate_hps);
  uint64_t hashes_granted = 0;
  for (const lease::Unit* u : lease.units) {
    const jobs::Midstate& m = *u->midstate;
    if (s.sent[m.job_key].insert(m.midstate_id).second) ToProto(m, g->add_midstates());
    v1::WorkUnit* w = g->add_units();
    w->set_unit_id(u->unit_id);
    w->set_job_id(m.job_key);
    w->set_midstate_id(m.midstate_id);
    w->set_nonce_start(u->nonce_start);
    w->set_nonce_count(u->nonce_count);
    hashes_granted += u->nonce_count;
  }
  s.sink->Send(std::move(msg));
  if (options_.on_lease_granted && lease.sized_for_rate_hps > 0) {
    options_.on_lease_granted(static_cast<double>(hashes_granted) / lease.sized_for_rate_hps);
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
    LOG(ERROR) << "pool job " << job.job_id << " refused: " << dead.status();
    return;
  }
  pool_difficulty_ = job.difficulty;
  pool_job_id_ = job.job_id;
  last_job_at_ = clock_->Now();
  job_seen_[jobs_.current()] = JobSeen{last_job_at_, job.clean};
  VLOG(1) << "job " << jobs_.current() << " diff " << job.difficulty << (job.clean ? " clean" : "");
  DropJobsLocked(*dead, job.clean ? v1::CANCEL_REASON_CLEAN_JOB : v1::CANCEL_REASON_UNSPECIFIED,
                 job.clean);
  // Push fresh work at once: after a clean job every worker, otherwise those waiting for work.
  for (auto& [id, s] : sessions_) {
    if (job.clean || s->request_pending) {
      GrantLocked(*s, s->seconds_wanted, s->hashes_wanted, s->request_pending);
    }
  }
  if (job.clean) {
    clean_fanout_ms_ = absl::ToDoubleMilliseconds(absl::Now() - entered);
    clean_fanout_max_ms_ = std::max(clean_fanout_max_ms_, clean_fanout_ms_);
    if (options_.on_clean_job_switched) options_.on_clean_job_switched(clean_fanout_ms_ / 1000);
  }
}

void Cluster::DropJobsLocked(const std::vector<std::string>& dead, v1::CancelReason reason,
                             bool all) {
  if (dead.empty()) return;
  std::vector<uint64_t> holders = leases_.DropJobs(dead);
  validator_.DropJobs(dead);
  for (auto& [id, s] : sessions_) {
    for (const std::string& k : dead) s->sent.erase(k);
  }
  for (const std::string& k : dead) job_seen_.erase(k);
  v1::MasterMessage cancel;
  cancel.mutable_cancel()->set_reason(reason);
  cancel.mutable_cancel()->set_all(all);
  for (const std::string& k : dead) cancel.mutable_cancel()->add_job_ids(k);
  cancel.mutable_cancel()->set_detail(absl::StrCat(dead.size(), " jobs ended"));
  // Everyone gets the cancel (a worker may still hold units it reported done); a clean job
  // cancels everything at once.
  for (auto& [id, s] : sessions_) s->sink->Send(cancel);
  VLOG(1) << "dropped " << dead.size() << " jobs held by " << holders.size() << " workers";
}

void Cluster::Tick() {
  jobs::UpstreamInfo info = upstream_ != nullptr ? upstream_->Info() : jobs::UpstreamInfo{};
  absl::MutexLock lock(&mu_);
  for (auto& [worker, units] : leases_.ExpireLeases()) {
    auto it = sessions_.find(worker);
    if (it == sessions_.end()) continue;
    LOG(WARNING) << "worker " << it->second->worker_id << ": lease of " << units.size()
                 << " units expired; re-queued";
    v1::MasterMessage cancel;
    cancel.mutable_cancel()->set_reason(v1::CANCEL_REASON_LEASE_EXPIRED);
    for (uint64_t u : units) cancel.mutable_cancel()->add_unit_ids(u);
    it->second->sink->Send(std::move(cancel));
  }
  // Re-queued work goes to whoever waits for it.
  for (auto& [id, s] : sessions_) {
    if (s->request_pending) GrantLocked(*s, s->seconds_wanted, s->hashes_wanted, true);
  }
  jobs_.Fill();
  absl::Time now = clock_->Now();
  SampleRatesLocked(now);
  if (options_.status_every > absl::ZeroDuration() && now - last_status_ >= options_.status_every) {
    last_status_ = now;
    LOG(INFO) << StatusLineLocked(info) << SharePathText();
  }
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
  v1::MasterMessage cancel;
  cancel.mutable_cancel()->set_all(true);
  cancel.mutable_cancel()->set_reason(v1::CANCEL_REASON_SHUTDOWN);
  for (auto& [id, s] : sessions_) {
    s->sink->Send(cancel);
    s->sink->Close(absl::UnavailableError("master shutting down"));
  }
  std::vector<uint64_t> ids;
  for (auto& [id, s] : sessions_) ids.push_back(id);
  for (uint64_t id : ids) DisconnectLocked(id);
}

absl::Status Cluster::Audit() const {
  absl::MutexLock lock(&mu_);
  return leases_.Audit();
}

}  // namespace synth::service
