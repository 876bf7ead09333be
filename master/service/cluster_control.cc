// The Cluster's operator side (synthctl): recent shares, jobs, pools, rate windows and history,
// drain and pool switch.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "master/service/cluster.h"

namespace synth::service {
namespace {

void FillWindows(const RateHistory& h, absl::Time now, double RatePoint::*total,
                 v1::RateWindows* out) {
  out->set_last_5s_hps(h.DifficultyRate(now, absl::Seconds(5), total));
  out->set_last_1m_hps(h.DifficultyRate(now, absl::Minutes(1), total));
  out->set_last_15m_hps(h.DifficultyRate(now, absl::Minutes(15), total));
}

}  // namespace

void Cluster::RecordShareLocked(const std::string& worker_id, const std::string& device,
                                uint64_t share_id, const std::string& job_key, uint32_t nonce,
                                double difficulty, shares::ShareState state,
                                const std::string& reason, int pool_code) {
  v1::ShareRecord r;
  r.set_unix_s(absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch()));
  r.set_worker_id(worker_id);
  r.set_device(device);
  r.set_share_id(share_id);
  r.set_job_key(job_key);
  r.set_nonce(nonce);
  r.set_difficulty(difficulty);
  r.set_state(ToProto(state));
  r.set_reason(reason.substr(0, 256));  // Pool messages are untrusted: bounded.
  r.set_pool_code(pool_code);
  recent_shares_.push_back(std::move(r));
  if (recent_shares_.size() > kRecentShares) recent_shares_.pop_front();
}

void Cluster::SampleRatesLocked(absl::Time now) {
  if (now - last_rate_sample_ < absl::Seconds(1)) return;
  last_rate_sample_ = now;
  rates_.Add(RatePoint{.at = now,
                       .reported_hps = tuning_.ClusterReportedRate(),
                       .verified_hps = tuning_.ClusterVerifiedRate(),
                       .verified_difficulty = verified_difficulty_,
                       .accepted_difficulty = validator_.counts().accepted_difficulty});
}

void Cluster::FillRatesLocked(absl::Time now, absl::Duration history,
                              v1::StatusResponse* out) const {
  v1::RateWindows* r = out->mutable_reported_rates();
  // The 5 s window also counts the rate right now, so a fresh master does not show 0.
  double now_hps = tuning_.ClusterReportedRate();
  double mean5 = rates_.MeanReported(now, absl::Seconds(5));
  r->set_last_5s_hps(mean5 > 0 ? mean5 : now_hps);
  r->set_last_1m_hps(rates_.MeanReported(now, absl::Minutes(1)));
  r->set_last_15m_hps(rates_.MeanReported(now, absl::Minutes(15)));
  if (r->last_1m_hps() == 0) r->set_last_1m_hps(r->last_5s_hps());
  if (r->last_15m_hps() == 0) r->set_last_15m_hps(r->last_1m_hps());
  FillWindows(rates_, now, &RatePoint::verified_difficulty, out->mutable_verified_rates());
  FillWindows(rates_, now, &RatePoint::accepted_difficulty, out->mutable_accepted_rates());
  if (history <= absl::ZeroDuration()) return;
  for (const RatePoint& p : rates_.Since(now - std::min(history, absl::Minutes(15)))) {
    v1::RateSample* s = out->add_history();
    s->set_unix_s(absl::ToDoubleSeconds(p.at - absl::UnixEpoch()));
    s->set_reported_hps(p.reported_hps);
    s->set_verified_hps(p.verified_hps);
  }
}

void Cluster::FillShares(uint32_t limit, v1::SharesResponse* out) const {
  absl::MutexLock lock(&mu_);
  ToProto(validator_.counts(), out->mutable_totals());
  double now = absl::ToDoubleSeconds(clock_->Now() - absl::UnixEpoch());
  size_t n = std::min<size_t>(limit, recent_shares_.size());
  for (auto it = recent_shares_.rbegin(); n > 0; ++it, --n) {
    v1::ShareRecord* r = out->add_recent();
    *r = *it;
    r->set_age_s(std::max(0.0, now - it->unix_s()));
  }
}

void Cluster::FillJobs(v1::JobsResponse* out) const {
  absl::MutexLock lock(&mu_);
  absl::flat_hash_map<std::string, lease::JobTally> tally = leases_.TallyByJob();
  absl::Time now = clock_->Now();
  std::vector<std::pair<absl::Time, std::string>> order;
  for (const auto& [key, seen] : job_seen_) order.emplace_back(seen.at, key);
  std::sort(order.begin(), order.end());
  for (const auto& [at, key] : order) {
    const jobs::JobInfo* info = jobs_.FindJob(key);
    if (info == nullptr) continue;  // Died without a DropJobs (should not happen).
    const jobs::UpstreamJob& j = info->builder.job();
    v1::JobStatus* s = out->add_jobs();
    s->set_job_key(key);
    s->set_pool_job_id(j.job_id);
    s->set_current(key == jobs_.current());
    s->set_clean(j.clean);
    s->set_difficulty(j.difficulty);
    s->set_age_s(absl::ToDoubleSeconds(now - at));
    s->set_version_mask(j.version_mask);
    s->set_midstates_built(info->next_index);
    auto t = tally.find(key);
    if (t == tally.end()) continue;
    s->set_units_queued(t->second.units_queued);
    s->set_units_leased(t->second.units_leased);
    s->set_units_done(t->second.units_done);
    s->set_hashes_done(t->second.hashes_done);
  }
}

namespace {

void ToProto(const jobs::UpstreamPool& p, v1::PoolStatus* out) {
  out->set_index(static_cast<uint32_t>(p.index));
  out->set_url(p.url);
  out->set_state(p.state);
  out->set_active(p.active);
  out->set_connected(p.connected);
  out->set_preferred(p.preferred);
  out->set_added(p.added);
  out->set_accepted(p.accepted);
  out->set_rejected(p.rejected);
  out->set_stale(p.stale);
  out->set_connects(p.connects);
  out->set_disconnects(p.disconnects);
  out->set_failovers(p.failovers);
}

}  // namespace

void Cluster::FillPools(v1::PoolsResponse* out) const {
  if (upstream_ == nullptr) return;
  // The upstream is asked without mu_ held: it may hold its own lock while it calls OnJob.
  for (const jobs::UpstreamPool& p : upstream_->Pools()) ToProto(p, out->add_pools());
  absl::MutexLock lock(&mu_);
  out->set_switches(pool_switches_);
}

absl::StatusOr<v1::DrainResponse> Cluster::Drain(const v1::DrainRequest& req) {
  if (req.worker_id().empty()) return absl::InvalidArgumentError("drain: no worker id given");
  absl::MutexLock lock(&mu_);
  auto it = by_worker_id_.find(req.worker_id());
  if (it == by_worker_id_.end()) {
    if (req.undrain() && drained_.erase(req.worker_id()) > 0) {
      v1::DrainResponse r;
      r.set_worker_id(req.worker_id());
      return r;
    }
    return absl::NotFoundError(absl::StrCat("no connected worker '", req.worker_id(),
                                            "' (synthctl workers lists them)"));
  }
  Session& s = *sessions_.at(it->second);
  v1::DrainResponse r;
  r.set_worker_id(s.worker_id);
  if (req.undrain()) {
    drained_.erase(s.worker_id);
    LOG(INFO) << "worker " << s.worker_id << " undrained by an operator";
    if (s.request_pending) GrantLocked(s, s.seconds_wanted, s.hashes_wanted, true);
  } else {
    drained_.insert(s.worker_id);
    r.set_draining(true);
    if (req.requeue()) {
      size_t n = leases_.Reclaim(s.id);
      r.set_units_requeued(n);
      v1::MasterMessage cancel;
      cancel.mutable_cancel()->set_all(true);
      cancel.mutable_cancel()->set_reason(v1::CANCEL_REASON_DRAINED);
      cancel.mutable_cancel()->set_detail("drained by an operator");
      s.sink->Send(std::move(cancel));
      // Its units go to whoever waits for work.
      for (auto& [id, other] : sessions_) {
        if (other->request_pending && !DrainedLocked(*other)) {
          GrantLocked(*other, other->seconds_wanted, other->hashes_wanted, true);
        }
      }
    }
    LOG(INFO) << "worker " << s.worker_id << " drained by an operator"
              << (req.requeue() ? absl::StrCat(", ", r.units_requeued(), " units re-queued")
                                : std::string(", its leases finish"));
  }
  r.set_units_leased(leases_.UnitsLeasedTo(s.id));
  return r;
}

absl::StatusOr<v1::SwitchPoolResponse> Cluster::SwitchPool(const v1::SwitchPoolRequest& req) {
  if (upstream_ == nullptr) return absl::FailedPreconditionError("the master has no upstream");
  absl::StatusOr<jobs::UpstreamPool> p;
  size_t before = upstream_->Pools().size();
  switch (req.target_case()) {
    case v1::SwitchPoolRequest::kIndex:
      p = upstream_->SwitchPool(static_cast<int>(req.index()));
      break;
    case v1::SwitchPoolRequest::kUrl:
      p = upstream_->SwitchPool(req.url());
      break;
    default:
      return absl::InvalidArgumentError("pool switch: give a pool index or a URL");
  }
  if (!p.ok()) return p.status();
  LOG(INFO) << "pool switch to " << p->url << " (pool " << p->index << ") by an operator";
  {
    absl::MutexLock lock(&mu_);
    ++pool_switches_;
  }
  v1::SwitchPoolResponse r;
  r.set_index(static_cast<uint32_t>(p->index));
  r.set_url(p->url);
  r.set_added(static_cast<size_t>(p->index) >= before);
  return r;
}

}  // namespace synth::service
