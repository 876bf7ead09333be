#include "master/service/status_views.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/format.h"
#include "master/service/cluster.h"
#include "proto/share_states.h"

namespace synth::service {
namespace {

jobs::UpstreamInfo InfoOf(const Cluster& cluster) {
  return cluster.upstream() != nullptr ? cluster.upstream()->Info() : jobs::UpstreamInfo{};
}

double Uptime(const Cluster::View& v) { return absl::ToDoubleSeconds(v.now - v.started); }

double AcceptedRate(const Cluster::View& v, const v1::ShareCounts& c) {
  return Uptime(v) > 0 ? c.accepted_difficulty() * 4294967296.0 / Uptime(v) : 0;
}

void FillDevice(const Cluster::View& v, absl::Time connected, const lease::DeviceRecord& d,
                v1::DeviceStatus* ds) {
  ds->set_name(d.name);
  ds->set_kind(d.kind);
  ds->set_impl(d.impl);
  ds->set_reported_rate_hps(d.reported_rate_hps);
  double verified = 0;
  for (const auto& [t, diff] : d.verified) verified += diff;
  double window = std::min(absl::ToDoubleSeconds(v.options.tuning.window),
                           absl::ToDoubleSeconds(v.now - connected));
  ds->set_verified_rate_hps(window > 0 ? verified * 4294967296.0 / window : 0);
  ds->set_shares_valid(d.shares_valid);
  ds->set_hardware_errors(d.hardware_errors);
  ds->set_flagged(d.flagged);
  ds->set_batch_latency_ms(d.batch_latency_ms);
  ds->set_hung(d.hung);
  ds->set_hangs(d.hangs);
}

void FillWorker(const Cluster::View& v, const shares::ShareLedger& ledger, const Session& s,
                v1::WorkerStatus* w) {
  w->set_worker_id(s.worker_id);
  w->set_hostname(s.hostname);
  w->set_peer(s.peer);
  w->set_version(s.version);
  w->set_connected_s(absl::ToDoubleSeconds(v.now - s.connected));
  w->set_reported_rate_hps(v.tuning.ReportedRate(s.id));
  w->set_verified_rate_hps(v.tuning.VerifiedRate(s.id));
  w->set_work_ratio(v.tuning.WorkRatio(s.id));
  w->set_units_leased(v.leases.UnitsLeasedTo(s.id));
  w->set_hashes_leased(v.leases.HashesLeasedTo(s.id));
  *w->mutable_shares() = ledger.CountsOf(s.worker_id);
  bool limited = ledger.RateLimitedWithin(s.worker_id, absl::Seconds(60));
  bool drained = v.drained.contains(s.worker_id);
  w->set_rate_limited(limited);
  w->set_flagged(v.tuning.Flagged(s.id) || limited);
  w->set_draining(drained);
  w->set_lease_state(!drained ? "leasing" : w->units_leased() > 0 ? "draining" : "drained");
  w->set_kind("synth");
  for (const lease::DeviceRecord& d : v.tuning.Devices(s.id)) {
    FillDevice(v, s.connected, d, w->add_devices());
  }
}

// A miner on the Stratum port (docs/HUB.md); `id` is its worker_id in the views, unique.
void FillSource(const Cluster::View& v, const shares::ShareLedger& ledger, const Source& s,
                const std::string& id, v1::WorkerStatus* w) {
  w->set_worker_id(id);
  w->set_hostname(s.peer.substr(0, s.peer.rfind(':')));
  w->set_peer(s.peer);
  w->set_version(s.user_agent);
  w->set_kind("stratum");
  w->set_user_agent(s.user_agent);
  w->set_user(s.name);
  w->set_difficulty(s.difficulty);
  w->set_lease_state("stratum");
  w->set_connected_s(absl::ToDoubleSeconds(v.now - s.connected));
  // A miner reports nothing itself: its rate is measured from its shares (the port's vardiff
  // window; tuning's verified window until the first one completes).
  double reported = v.tuning.ReportedRate(s.id);
  w->set_reported_rate_hps(reported > 0 ? reported : v.tuning.VerifiedRate(s.id));
  w->set_verified_rate_hps(v.tuning.VerifiedRate(s.id));
  w->set_work_ratio(v.tuning.WorkRatio(s.id));
  *w->mutable_shares() = ledger.CountsOf(s.identity);
  for (const lease::DeviceRecord& d : v.tuning.Devices(s.id)) {
    FillDevice(v, s.connected, d, w->add_devices());
  }
}

void FillSources(const Cluster::View& v, const shares::ShareLedger& ledger,
                 v1::WorkersResponse* out) {
  absl::flat_hash_set<std::string> names;
  for (const v1::WorkerStatus& w : out->workers()) names.insert(w.worker_id());
  std::vector<const Source*> by_slot;
  for (const auto& [id, s] : v.hub.sources()) by_slot.push_back(s.get());
  std::sort(by_slot.begin(), by_slot.end(),
            [](const Source* a, const Source* b) { return a->slot < b->slot; });
  for (const Source* s : by_slot) {
    // Two machines may authorize with one name: the slot tells them apart.
    std::string id = names.insert(s->name).second ? s->name : absl::StrCat(s->name, "#", s->slot);
    FillSource(v, ledger, *s, id, out->add_workers());
  }
}

void FillPort(const Cluster::View& v, v1::StatusResponse* out) {
  if (v.hub.port() == nullptr) return;
  shares::PortStats p = v.hub.port()->Stats();
  v1::StratumPortStatus* s = out->mutable_stratum_port();
  s->set_listen(p.listen);
  s->set_connections(static_cast<uint32_t>(p.connections));
  s->set_connections_total(p.connections_total);
  s->set_refused(p.refused_allow + p.refused_full);
  s->set_dropped(p.dropped_bad_input + p.dropped_timeout);
  s->set_shares_forwarded(p.shares_forwarded);
  s->set_shares_local(p.shares_local);
  s->set_shares_refused(p.shares_refused);
  s->set_share_path_p50_ms(p.share_path_p50_ms);
  s->set_share_path_p99_ms(p.share_path_p99_ms);
  s->set_share_path_samples(p.share_path_samples);
  s->set_clean_fanout_p50_ms(p.fanout_p50_ms);
  s->set_clean_fanout_p99_ms(p.fanout_p99_ms);
  s->set_clean_fanout_max_ms(p.fanout_max_ms);
  if (v.hub.notice() != nullptr) {
    s->set_slot_bytes(v.hub.notice()->partition.prefix_bytes);
    s->set_miner_bytes(v.hub.notice()->partition.miner_bytes);
  }
  s->set_slots_held(v.hub.slots().held());
}

}  // namespace

void FillStatus(const Cluster& cluster, v1::StatusResponse* out, absl::Duration history) {
  jobs::UpstreamInfo info = InfoOf(cluster);
  auto [p50, samples] = cluster.share_path_ms().Percentile(0.5);
  out->set_share_path_p50_ms(p50);
  out->set_share_path_p99_ms(cluster.share_path_ms().Percentile(0.99).first);
  out->set_share_path_samples(samples);
  out->set_pool_url(info.url);
  out->set_pool_connected(info.connected);
  *out->mutable_shares() = cluster.Counts();
  out->set_best_share_difficulty(cluster.ledger().BestDifficulty());
  cluster.Inspect([&](const Cluster::View& v) {
    out->set_master_version(v.options.version);
    out->set_uptime_s(Uptime(v));
    out->set_pool_difficulty(v.seen.difficulty);
    out->set_job_id(v.seen.pool_job_id);
    if (!v.seen.pool_job_id.empty()) out->set_job_age_s(absl::ToDoubleSeconds(v.now - v.seen.last_at));
    out->set_workers(static_cast<uint32_t>(v.sessions.size()));
    uint32_t draining = 0;
    for (const auto& [id, s] : v.sessions) draining += v.drained.contains(s->worker_id) ? 1 : 0;
    out->set_workers_draining(draining);
    out->set_reported_rate_hps(v.tuning.ClusterReportedRate());
    out->set_verified_rate_hps(v.tuning.ClusterVerifiedRate());
    out->set_accepted_rate_hps(AcceptedRate(v, out->shares()));
    lease::LeaseStats ls = v.leases.stats();
    out->set_units_queued(ls.units_queued);
    out->set_units_leased(ls.units_leased);
    out->set_units_requeued(ls.units_requeued);
    out->set_leases_expired(ls.leases_expired);
    out->set_midstates_cached(v.jobs.cached());
    out->set_jobs_live(v.jobs.live_jobs());
    out->set_coverage_audit(v.coverage_audit);
    out->set_clean_fanout_ms(v.seen.clean_fanout_ms);
    out->set_clean_fanout_max_ms(v.seen.clean_fanout_max_ms);
    v.rates.Fill(v.now, v.tuning.ClusterReportedRate(), history, out);
    FillPort(v, out);
  });
}

void FillWorkers(const Cluster& cluster, v1::WorkersResponse* out) {
  cluster.Inspect([&](const Cluster::View& v) {
    for (const auto& [id, s] : v.sessions) FillWorker(v, cluster.ledger(), *s, out->add_workers());
    FillSources(v, cluster.ledger(), out);
  });
}

void FillShares(const Cluster& cluster, uint32_t limit, v1::SharesResponse* out) {
  cluster.ledger().FillShares(limit, out);
}

void FillJobs(const Cluster& cluster, v1::JobsResponse* out) {
  cluster.Inspect([&](const Cluster::View& v) {
    absl::flat_hash_map<std::string, lease::JobTally> tally = v.leases.TallyByJob();
    std::vector<std::pair<absl::Time, std::string>> order;
    for (const auto& [key, seen] : v.seen.live) order.emplace_back(seen.first, key);
    std::sort(order.begin(), order.end());
    for (const auto& [at, key] : order) {
      const jobs::JobInfo* info = v.jobs.FindJob(key);
      if (info == nullptr) continue;  // Died without a DropJobs (should not happen).
      const jobs::UpstreamJob& j = info->builder.job();
      v1::JobStatus* s = out->add_jobs();
      s->set_job_key(key);
      s->set_pool_job_id(j.notify.job_id);
      s->set_current(v.jobs.IsCurrent(key));
      s->set_clean(j.notify.clean_jobs);
      s->set_difficulty(j.difficulty);
      s->set_age_s(absl::ToDoubleSeconds(v.now - at));
      s->set_version_mask(j.version_mask);
      s->set_midstates_built(info->next_index);
      auto t = tally.find(key);
      if (t == tally.end()) continue;
      s->set_units_queued(t->second.units_queued);
      s->set_units_leased(t->second.units_leased);
      s->set_units_done(t->second.units_done);
      s->set_hashes_done(t->second.hashes_done);
    }
  });
}

std::string StatusLine(const Cluster& cluster) {
  v1::StatusResponse st;
  FillStatus(cluster, &st);
  std::string shares = absl::StrCat("found ", st.shares().found());
  for (const proto::ShareStateInfo& s : proto::kShareStates) {
    uint64_t n = (st.shares().*s.count)();
    if (n > 0 || s.state == v1::SHARE_STATE_ACCEPTED) {
      absl::StrAppend(&shares, " ", absl::string_view(s.name.data(), s.name.size()), " ", n);
    }
  }
  std::string line = absl::StrFormat(
      "cluster %s reported, %s verified, %s accepted | workers %d | shares %s | pool %s %s "
      "diff %g job %s | units queued %d leased %d | clean fan-out %.2f ms (max %.2f)",
      FormatHashRate(st.reported_rate_hps()), FormatHashRate(st.verified_rate_hps()),
      FormatHashRate(st.accepted_rate_hps()), st.workers(), shares,
      st.pool_url().empty() ? "-" : st.pool_url(), st.pool_connected() ? "up" : "down",
      st.pool_difficulty(), st.job_id().empty() ? "-" : st.job_id(), st.units_queued(),
      st.units_leased(), st.clean_fanout_ms(), st.clean_fanout_max_ms());
  if (st.share_path_samples() > 0) {
    absl::StrAppendFormat(&line, " | share path p50 %.2f ms p99 %.2f ms (%d)",
                          st.share_path_p50_ms(), st.share_path_p99_ms(),
                          st.share_path_samples());
  }
  return line;
}

void FillSplit(const Cluster& cluster, v1::PoolsResponse* out) {
  SplitStatus split = cluster.Split();
  if (split.pools.empty()) return;
  out->set_split(true);
  out->set_split_level(split.level);
  out->set_split_window(split.window);
  out->set_split_paused(split.paused);
  double assigned = 0, work = 0;
  for (const PoolSplitStatus& p : split.pools) {
    assigned += static_cast<double>(p.hashes_assigned);
    work += p.accepted_difficulty;
  }
  for (size_t i = 0; i < split.pools.size(); ++i) {
    const PoolSplitStatus& p = split.pools[i];
    while (out->pools_size() <= static_cast<int>(i)) {
      out->add_pools()->set_index(static_cast<uint32_t>(out->pools_size() - 1));
    }
    v1::PoolStatus* s = out->mutable_pools(static_cast<int>(i));
    s->set_split(true);
    s->set_weight(p.weight);
    s->set_level(static_cast<uint32_t>(p.level));
    s->set_target_share(p.target_share);
    s->set_live(p.live);
    s->set_hashes_assigned(p.hashes_assigned);
    s->set_assigned_share(assigned > 0 ? static_cast<double>(p.hashes_assigned) / assigned : 0);
    s->set_verified_work(std::ldexp(p.accepted_difficulty, 32));
    s->set_work_share(work > 0 ? p.accepted_difficulty / work : 0);
  }
}

}  // namespace synth::service
