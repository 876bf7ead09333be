#include "master/http/views.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/metrics/registry.h"
#include "proto/share_states.h"

namespace synth::http {
namespace {

using metrics::Registry;

// Final states by their ledger name (found and pending are not verdicts).
std::vector<std::pair<std::string, double>> Verdicts(const v1::ShareCounts& c) {
  std::vector<std::pair<std::string, double>> out;
  for (const proto::ShareStateInfo& s : proto::kShareStates) {
    if (s.state == v1::SHARE_STATE_PENDING) continue;
    out.emplace_back(std::string(s.name), static_cast<double>((c.*s.count)()));
  }
  return out;
}

void SetGauge(Registry& r, const char* name, const char* help, double v) {
  r.AddGauge(name, help, {}).WithLabels({}).Set(v);
}

void AddCounter(Registry& r, const char* name, const char* help, double v) {
  r.AddCounter(name, help, {}).WithLabels({}).Increment(v);
}

// The downstream Stratum port (docs/HUB.md).
void RenderStratumPort(const v1::StratumPortStatus& p, Registry& r) {
  SetGauge(r, "synth_stratum_connections", "Miners connected to the Stratum port",
           p.connections());
  AddCounter(r, "synth_stratum_connections_refused_total",
             "Connections refused (allow-list, cap, no slot)", p.refused());
  AddCounter(r, "synth_stratum_connections_dropped_total",
             "Connections dropped for bad input or a timeout", p.dropped());
  auto& shares = r.AddCounter("synth_stratum_shares_total",
                              "Stratum miners' submits by outcome at the port", {"outcome"});
  shares.WithLabels({"forwarded"}).Increment(p.shares_forwarded());
  shares.WithLabels({"local"}).Increment(p.shares_local());
  shares.WithLabels({"refused"}).Increment(p.shares_refused());
  auto& path = r.AddGauge("synth_stratum_share_path_seconds",
                          "Submit read to handed to the pool, last 2000 forwarded shares",
                          {"quantile"});
  path.WithLabels({"0.5"}).Set(p.share_path_p50_ms() / 1000);
  path.WithLabels({"0.99"}).Set(p.share_path_p99_ms() / 1000);
  auto& fanout = r.AddGauge("synth_stratum_clean_fanout_seconds",
                            "Last clean job: pool job in to notify written, over connections",
                            {"quantile"});
  fanout.WithLabels({"0.5"}).Set(p.clean_fanout_p50_ms() / 1000);
  fanout.WithLabels({"0.99"}).Set(p.clean_fanout_p99_ms() / 1000);
  fanout.WithLabels({"1"}).Set(p.clean_fanout_max_ms() / 1000);
}

void RenderCluster(const v1::StatusResponse& s, Registry& r) {
  SetGauge(r, "synth_master_uptime_seconds", "Seconds since synth-master started", s.uptime_s());
  r.AddGauge("synth_master_info", "synth-master build (value 1)", {"version"})
      .WithLabels({s.master_version()})
      .Set(1);
  SetGauge(r, "synth_pool_up", "1 when the pool is subscribed and authorized",
           s.pool_connected() ? 1 : 0);
  r.AddGauge("synth_pool_info", "Current pool (value 1)", {"url"})
      .WithLabels({RedactUrl(s.pool_url())})
      .Set(1);
  SetGauge(r, "synth_pool_difficulty", "Share difficulty of the current job", s.pool_difficulty());
  SetGauge(r, "synth_workers", "Connected workers", s.workers());
  metrics::Family<metrics::Gauge>& rate = r.AddGauge(
      "synth_cluster_hashrate_hashes_per_second",
      "Cluster rate: reported by workers, implied by verified shares (~60 s), by accepted shares",
      {"source"});
  rate.WithLabels({"reported"}).Set(s.reported_rate_hps());
  rate.WithLabels({"verified"}).Set(s.verified_rate_hps());
  rate.WithLabels({"accepted"}).Set(s.accepted_rate_hps());
  AddCounter(r, "synth_shares_found_total", "Shares reported by workers", s.shares().found());
  metrics::Family<metrics::Counter>& shares =
      r.AddCounter("synth_shares_total", "Shares by final verdict", {"verdict"});
  for (const auto& [verdict, n] : Verdicts(s.shares())) shares.WithLabels({verdict}).Increment(n);
  SetGauge(r, "synth_shares_pending", "Shares submitted, pool answer outstanding",
           s.shares().pending());
  AddCounter(r, "synth_accepted_difficulty_total", "Sum of the difficulty of accepted shares",
             s.shares().accepted_difficulty());
  SetGauge(r, "synth_units_queued", "Work units waiting to be leased", s.units_queued());
  SetGauge(r, "synth_units_leased", "Work units leased, not yet reported", s.units_leased());
  SetGauge(r, "synth_midstates_cached", "Midstates precomputed, not yet used",
           s.midstates_cached());
  SetGauge(r, "synth_jobs_live", "Pool jobs whose shares would be accepted", s.jobs_live());
  AddCounter(r, "synth_units_requeued_total", "Units re-queued (expiry, lost workers, returns)",
             s.units_requeued());
  AddCounter(r, "synth_leases_expired_total", "Leases that expired", s.leases_expired());
  SetGauge(r, "synth_coverage_audit_ok", "1 when the lease coverage audit passes",
           s.coverage_audit() == "ok" ? 1 : 0);
  if (s.share_path_samples() > 0) {
    metrics::Family<metrics::Gauge>& path = r.AddGauge(
        "synth_share_path_seconds",
        "Share found on a worker to handed to the pool, over the last 2000 shares", {"quantile"});
    path.WithLabels({"0.5"}).Set(s.share_path_p50_ms() / 1000);
    path.WithLabels({"0.99"}).Set(s.share_path_p99_ms() / 1000);
  }
  if (s.has_stratum_port()) RenderStratumPort(s.stratum_port(), r);
}

void RenderWorkers(const v1::WorkersResponse& w, Registry& r) {
  const std::vector<std::string> wd = {"worker", "device"};
  auto& reported = r.AddGauge("synth_hashrate_hashes_per_second",
                              "Device rate reported by the worker's telemetry", wd);
  auto& verified = r.AddGauge("synth_verified_hashrate_hashes_per_second",
                              "Device rate implied by its verified shares", wd);
  auto& valid = r.AddCounter("synth_device_shares_valid_total", "Shares that verified", wd);
  auto& hw =
      r.AddCounter("synth_device_hardware_errors_total", "Shares that failed verification", wd);
  auto& flagged = r.AddGauge("synth_device_flagged", "1 when backed off for hardware errors", wd);
  auto& hung = r.AddGauge("synth_device_hung", "1 while the worker's watchdog has it hung", wd);
  auto& hangs = r.AddCounter("synth_device_hangs_total", "Hangs the worker reported", wd);
  auto& latency = r.AddGauge("synth_device_batch_latency_seconds", "Mean batch wall time", wd);
  auto& connected =
      r.AddGauge("synth_worker_connected_seconds", "Seconds since the stream opened", {"worker"});
  auto& ratio = r.AddGauge("synth_worker_work_ratio", "Share of the cluster rate used for leasing",
                           {"worker"});
  auto& leased = r.AddGauge("synth_worker_units_leased", "Units leased to the worker", {"worker"});
  auto& shares = r.AddCounter("synth_worker_shares_total", "The worker's shares by verdict",
                              {"worker", "verdict"});
  auto& difficulty = r.AddGauge("synth_stratum_miner_difficulty",
                                "Share difficulty of a miner on the Stratum port", {"worker"});
  for (const v1::WorkerStatus& ws : w.workers()) {
    const std::string& id = ws.worker_id();
    if (ws.kind() == "stratum") difficulty.WithLabels({id}).Set(ws.difficulty());
    connected.WithLabels({id}).Set(ws.connected_s());
    ratio.WithLabels({id}).Set(ws.work_ratio());
    leased.WithLabels({id}).Set(ws.units_leased());
    for (const auto& [verdict, n] : Verdicts(ws.shares())) {
      shares.WithLabels({id, verdict}).Increment(n);
    }
    for (const v1::DeviceStatus& d : ws.devices()) {
      reported.WithLabels({id, d.name()}).Set(d.reported_rate_hps());
      verified.WithLabels({id, d.name()}).Set(d.verified_rate_hps());
      valid.WithLabels({id, d.name()}).Increment(d.shares_valid());
      hw.WithLabels({id, d.name()}).Increment(d.hardware_errors());
      flagged.WithLabels({id, d.name()}).Set(d.flagged() ? 1 : 0);
      hung.WithLabels({id, d.name()}).Set(d.hung() ? 1 : 0);
      hangs.WithLabels({id, d.name()}).Increment(static_cast<double>(d.hangs()));
      latency.WithLabels({id, d.name()}).Set(d.batch_latency_ms() / 1000);
    }
  }
}

nlohmann::json SharesJson(const v1::ShareCounts& c) {
  nlohmann::json j = {{"found", c.found()},
                      {"resent", c.resent()},
                      {"accepted_difficulty", c.accepted_difficulty()}};
  for (const proto::ShareStateInfo& s : proto::kShareStates) j[std::string(s.name)] = (c.*s.count)();
  return j;
}

// The ledger's states in display order, for the dashboard's table.
nlohmann::json StateNames() {
  nlohmann::json names = nlohmann::json::array();
  for (const proto::ShareStateInfo& s : proto::kShareStates) names.push_back(std::string(s.name));
  return names;
}

nlohmann::json WorkerJson(const v1::WorkerStatus& ws) {
  nlohmann::json devices = nlohmann::json::array();
  for (const v1::DeviceStatus& d : ws.devices()) {
    devices.push_back({{"name", d.name()},
                       {"kind", d.kind()},
                       {"impl", d.impl()},
                       {"reported_hps", d.reported_rate_hps()},
                       {"verified_hps", d.verified_rate_hps()},
                       {"shares_valid", d.shares_valid()},
                       {"hardware_errors", d.hardware_errors()},
                       {"flagged", d.flagged()},
                       {"hung", d.hung()},
                       {"batch_latency_ms", d.batch_latency_ms()}});
  }
  return {{"worker_id", ws.worker_id()},
          {"kind", ws.kind()},
          {"user_agent", ws.user_agent()},
          {"user", ws.user()},
          {"difficulty", ws.difficulty()},
          {"hostname", ws.hostname()},
          {"version", ws.version()},
          {"connected_s", ws.connected_s()},
          {"reported_hps", ws.reported_rate_hps()},
          {"verified_hps", ws.verified_rate_hps()},
          {"work_ratio", ws.work_ratio()},
          {"units_leased", ws.units_leased()},
          {"flagged", ws.flagged()},
          {"shares", SharesJson(ws.shares())},
          {"devices", std::move(devices)}};
}

}  // namespace

HealthVerdict Health(const MasterSnapshot& snap, absl::Duration grace) {
  if (!snap.serving) return {false, "not serving"};
  const v1::StatusResponse& s = snap.status;
  if (s.pool_connected()) return {true, "ok"};
  if (absl::Seconds(s.uptime_s()) < grace) return {true, "starting: pool not connected yet"};
  return {false, absl::StrCat("pool disconnected: ", RedactUrl(s.pool_url()))};
}

std::string RedactUrl(const std::string& url) {
  size_t scheme = url.find("://");
  size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  size_t at = url.find('@', start);
  size_t slash = url.find('/', start);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  return url.substr(0, start) + url.substr(at + 1);
}

// The pool split (docs/CLUSTER.md "Pool split"), one series per pool labelled by its URL.
void RenderSplit(const v1::PoolsResponse& p, Registry& r) {
  if (!p.split()) return;
  const std::vector<std::string> label = {"pool"};
  auto& weight = r.AddGauge("synth_pool_weight", "Split weight in force", label);
  auto& level = r.AddGauge("synth_pool_level", "Split fallback level", label);
  auto& live = r.AddGauge("synth_pool_live", "1 when connected with a current job", label);
  auto& target = r.AddGauge("synth_pool_target_share", "Share of the hashes it should get", label);
  auto& assigned = r.AddCounter("synth_pool_hashes_assigned_total",
                                "Hashes of its work handed out (leased net of returns, downstream)",
                                label);
  auto& work = r.AddCounter("synth_pool_verified_work_hashes_total",
                            "Hashes its accepted shares stand for (difficulty x 2^32)", label);
  auto& miners = r.AddGauge("synth_pool_stratum_miners",
                            "Miners of the master's Stratum port routed to it", label);
  auto& downstream = r.AddCounter("synth_pool_hashes_downstream_total",
                                  "The part of hashes assigned credited from its Stratum miners",
                                  label);
  for (const v1::PoolStatus& x : p.pools()) {
    const std::vector<std::string> pool = {RedactUrl(x.url())};
    weight.WithLabels(pool).Set(x.weight());
    level.WithLabels(pool).Set(x.level());
    live.WithLabels(pool).Set(x.live() ? 1 : 0);
    target.WithLabels(pool).Set(x.target_share());
    assigned.WithLabels(pool).Increment(static_cast<double>(x.hashes_assigned()));
    work.WithLabels(pool).Increment(x.verified_work());
    miners.WithLabels(pool).Set(x.stratum_miners());
    downstream.WithLabels(pool).Increment(static_cast<double>(x.hashes_downstream()));
  }
}

std::string RenderSnapshotMetrics(const MasterSnapshot& snap) {
  Registry r;
  RenderCluster(snap.status, r);
  RenderWorkers(snap.workers, r);
  RenderSplit(snap.pools, r);
  return r.Render();
}

// The pool split's per-pool figures (docs/CLUSTER.md "Pool split"); [] without a split.
nlohmann::json SplitJson(const v1::PoolsResponse& p) {
  nlohmann::json out = nlohmann::json::array();
  if (!p.split()) return out;
  for (const v1::PoolStatus& x : p.pools()) {
    out.push_back({{"url", RedactUrl(x.url())},
                   {"weight", x.weight()},
                   {"level", x.level()},
                   {"live", x.live()},
                   {"target_share", x.target_share()},
                   {"hashes_assigned", x.hashes_assigned()},
                   {"assigned_share", x.assigned_share()},
                   {"verified_work", x.verified_work()},
                   {"work_share", x.work_share()},
                   {"stratum_miners", x.stratum_miners()},
                   {"hashes_downstream", x.hashes_downstream()}});
  }
  return out;
}

nlohmann::json StatusJson(const MasterSnapshot& snap, const HealthVerdict& health) {
  const v1::StatusResponse& s = snap.status;
  nlohmann::json workers = nlohmann::json::array();
  for (const v1::WorkerStatus& ws : snap.workers.workers()) workers.push_back(WorkerJson(ws));
  nlohmann::json hist = nlohmann::json::array();
  for (const v1::RateSample& p : s.history()) {
    hist.push_back({p.unix_s(), p.reported_hps(), p.verified_hps()});
  }
  return {{"master_version", s.master_version()},
          {"uptime_s", s.uptime_s()},
          {"health", {{"ok", health.ok}, {"reason", health.reason}}},
          {"pool",
           {{"url", RedactUrl(s.pool_url())},
            {"connected", s.pool_connected()},
            {"difficulty", s.pool_difficulty()},
            {"job_id", s.job_id()},
            {"jobs_live", s.jobs_live()}}},
          {"split", SplitJson(snap.pools)},
          {"rates",
           {{"reported_hps", s.reported_rate_hps()},
            {"verified_hps", s.verified_rate_hps()},
            {"accepted_hps", s.accepted_rate_hps()}}},
          {"shares", SharesJson(s.shares())},
          {"share_states", StateNames()},
          {"units",
           {{"queued", s.units_queued()},
            {"leased", s.units_leased()},
            {"requeued", s.units_requeued()},
            {"leases_expired", s.leases_expired()},
            {"midstates_cached", s.midstates_cached()}}},
          {"share_path_ms",
           {{"p50", s.share_path_p50_ms()},
            {"p99", s.share_path_p99_ms()},
            {"samples", s.share_path_samples()}}},
          {"coverage_audit", s.coverage_audit()},
          {"workers", std::move(workers)},
          {"history", std::move(hist)}};
}

}  // namespace synth::http
