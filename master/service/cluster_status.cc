// The Cluster's read-only views: control-service responses and the periodic status line.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/format.h"
#include "master/service/cluster.h"

namespace synth::service {

void ToProto(const shares::ShareCounts& c, v1::ShareCounts* out) {
  out->set_found(c.found);
  out->set_accepted(c.accepted);
  out->set_rejected(c.rejected);
  out->set_stale(c.stale);
  out->set_duplicate(c.duplicate);
  out->set_below_target(c.below_target);
  out->set_hardware_error(c.hardware_error);
  out->set_unknown_unit(c.unknown_unit);
  out->set_pool_down(c.pool_down);
  out->set_pending(c.pending);
  out->set_rate_limited(c.rate_limited);
  out->set_accepted_difficulty(c.accepted_difficulty);
}

void Cluster::FillStatus(v1::StatusResponse* out, absl::Duration history) const {
  jobs::UpstreamInfo info = upstream_ != nullptr ? upstream_->Info() : jobs::UpstreamInfo{};
  auto [p50, samples] = SharePathMs(0.5);
  out->set_share_path_p50_ms(p50);
  out->set_share_path_p99_ms(SharePathMs(0.99).first);
  out->set_share_path_samples(samples);
  absl::MutexLock lock(&mu_);
  double uptime = absl::ToDoubleSeconds(clock_->Now() - started_);
  out->set_master_version(options_.version);
  out->set_uptime_s(uptime);
  out->set_pool_url(info.url);
  out->set_pool_connected(info.connected);
  out->set_pool_difficulty(pool_difficulty_);
  out->set_job_id(pool_job_id_);
  out->set_workers(static_cast<uint32_t>(sessions_.size()));
  out->set_reported_rate_hps(tuning_.ClusterReportedRate());
  out->set_verified_rate_hps(tuning_.ClusterVerifiedRate());
  const shares::ShareCounts& c = validator_.counts();
  out->set_accepted_rate_hps(uptime > 0 ? c.accepted_difficulty * 4294967296.0 / uptime : 0);
  ToProto(c, out->mutable_shares());
  out->set_best_share_difficulty(c.best_difficulty);
  lease::LeaseStats ls = leases_.stats();
  out->set_units_queued(ls.units_queued);
  out->set_units_leased(ls.units_leased);
  out->set_midstates_cached(jobs_.cached());
  out->set_jobs_live(jobs_.live_jobs());
  // The audit walks every unit: run it at most every 5 s (status is polled by dashboards).
  absl::Time now = absl::Now();
  if (now - audit_at_ >= absl::Seconds(5)) {
    absl::Status audit = leases_.Audit();
    audit_text_ = audit.ok() ? "ok" : std::string(audit.message());
    audit_at_ = now;
  }
  out->set_coverage_audit(audit_text_);
  out->set_units_requeued(ls.units_requeued);
  out->set_leases_expired(ls.leases_expired);
  out->set_clean_fanout_ms(clean_fanout_ms_);
  out->set_clean_fanout_max_ms(clean_fanout_max_ms_);
  FillRatesLocked(clock_->Now(), history, out);
  if (!pool_job_id_.empty()) {
    out->set_job_age_s(absl::ToDoubleSeconds(clock_->Now() - last_job_at_));
  }
  uint32_t draining = 0;
  for (const auto& [id, s] : sessions_) draining += DrainedLocked(*s) ? 1 : 0;
  out->set_workers_draining(draining);
}

void Cluster::FillWorkers(v1::WorkersResponse* out) const {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_->Now();
  for (const auto& [id, s] : sessions_) {
    v1::WorkerStatus* w = out->add_workers();
    w->set_worker_id(s->worker_id);
    w->set_hostname(s->hostname);
    w->set_peer(s->peer);
    w->set_version(s->version);
    w->set_connected_s(absl::ToDoubleSeconds(now - s->connected));
    w->set_reported_rate_hps(tuning_.ReportedRate(id));
    w->set_verified_rate_hps(tuning_.VerifiedRate(id));
    w->set_work_ratio(tuning_.WorkRatio(id));
    w->set_units_leased(leases_.UnitsLeasedTo(id));
    w->set_hashes_leased(leases_.HashesLeasedTo(id));
    ToProto(s->shares, w->mutable_shares());
    bool limited = now - s->rate_limited_at <= absl::Seconds(60);
    w->set_rate_limited(limited);
    w->set_flagged(tuning_.Flagged(id) || limited);
    w->set_draining(DrainedLocked(*s));
    w->set_lease_state(!DrainedLocked(*s)             ? "leasing"
                       : leases_.UnitsLeasedTo(id) > 0 ? "draining"
                                                       : "drained");
    for (const lease::DeviceRecord& d : tuning_.Devices(id)) {
      v1::DeviceStatus* ds = w->add_devices();
      ds->set_name(d.name);
      ds->set_kind(d.kind);
      ds->set_impl(d.impl);
      ds->set_reported_rate_hps(d.reported_rate_hps);
      double verified = 0;
      for (const auto& [t, diff] : d.verified) verified += diff;
      double window = std::min(absl::ToDoubleSeconds(options_.tuning.window),
                               absl::ToDoubleSeconds(now - s->connected));
      ds->set_verified_rate_hps(window > 0 ? verified * 4294967296.0 / window : 0);
      ds->set_shares_valid(d.shares_valid);
      ds->set_hardware_errors(d.hardware_errors);
      ds->set_flagged(d.flagged);
      ds->set_batch_latency_ms(d.batch_latency_ms);
      ds->set_hung(d.hung);
      ds->set_hangs(d.hangs);
    }
  }
}

shares::ShareCounts Cluster::Counts() const {
  absl::MutexLock lock(&mu_);
  return validator_.counts();
}

std::string Cluster::StatusLine() const {
  jobs::UpstreamInfo info = upstream_ != nullptr ? upstream_->Info() : jobs::UpstreamInfo{};
  std::string line;
  {
    absl::MutexLock lock(&mu_);
    line = StatusLineLocked(info);
  }
  return absl::StrCat(line, SharePathText());
}

std::string Cluster::SharePathText() const {
  auto [p50, n] = SharePathMs(0.5);
  if (n == 0) return "";
  return absl::StrFormat(" | share path p50 %.2f ms p99 %.2f ms (%d)", p50, SharePathMs(0.99).first,
                         n);
}

std::string Cluster::StatusLineLocked(const jobs::UpstreamInfo& info) const {
  const shares::ShareCounts& c = validator_.counts();
  double uptime = absl::ToDoubleSeconds(clock_->Now() - started_);
  return absl::StrFormat(
      "cluster %s reported, %s verified, %s accepted | workers %d | shares A %d R %d S %d "
      "dup %d hw %d | pool %s %s diff %g job %s | units queued %d leased %d | clean fan-out "
      "%.2f ms (max %.2f)",
      FormatHashRate(tuning_.ClusterReportedRate()), FormatHashRate(tuning_.ClusterVerifiedRate()),
      FormatHashRate(uptime > 0 ? c.accepted_difficulty * 4294967296.0 / uptime : 0),
      sessions_.size(), c.accepted, c.rejected, c.stale, c.duplicate,
      c.hardware_error + c.below_target, info.url.empty() ? "-" : info.url,
      info.connected ? "up" : "down", pool_difficulty_, pool_job_id_.empty() ? "-" : pool_job_id_,
      leases_.stats().units_queued, leases_.stats().units_leased, clean_fanout_ms_,
      clean_fanout_max_ms_);
}

}  // namespace synth::service
