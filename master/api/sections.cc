#include "master/api/sections.h"

#include <cmath>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace synth::api {
namespace {

// Rounds to `digits` decimals (cgminer prints MH/s with 2, percentages with 4).
double Round(double v, int digits) {
  if (!std::isfinite(v)) return 0;
  double scale = std::pow(10.0, digits);
  return std::round(v * scale) / scale;
}

double Mhs(double hps) { return Round(hps / 1e6, 2); }
double Ghs(double hps) { return Round(hps / 1e9, 5); }
double Percent(double part, double whole) { return whole > 0 ? Round(100 * part / whole, 4) : 0; }
double PerMinute(double n, double seconds) { return seconds > 0 ? Round(60 * n / seconds, 2) : 0; }

// cgminer names drivers with three capitals: CPU and GPU for a worker's devices, STM for a
// miner on the master's Stratum port (device kind "stratum").
const char* DriverName(const v1::DeviceStatus& d) {
  if (d.kind() == "cuda") return "GPU";
  return d.kind() == "stratum" ? "STM" : "CPU";
}

// `stratum+tcp://host:port` → `host:port` (cgminer's "Stratum URL" has no scheme).
std::string WithoutScheme(const std::string& url) {
  size_t p = url.find("://");
  return p == std::string::npos ? url : url.substr(p + 3);
}

// cgminer's pool Status: "Alive" when mining on it; "Dead" when chosen but not connected or
// being probed after a failure; "Unknown" for a standby pool (synth does not probe those).
const char* PoolLife(const v1::PoolStatus& p) {
  if (p.connected()) return "Alive";
  if (p.active() || p.state() == "probing") return "Dead";
  return "Unknown";
}

// Calls fn(worker, device, index, id) for every device of every worker: `index` counts all of
// them (the ASC number), `id` those of the same driver (cgminer's ID).
template <typename Fn>
void ForEachDevice(const ApiSnapshot& snap, Fn fn) {
  int index = 0;
  absl::flat_hash_map<std::string, int> by_driver;
  for (const v1::WorkerStatus& w : snap.workers.workers()) {
    for (const v1::DeviceStatus& d : w.devices()) fn(w, d, index++, by_driver[DriverName(d)]++);
  }
}

}  // namespace

std::string Description(const ApiSnapshot& snap) {
  return absl::StrCat("synth-master ", snap.status.master_version());
}

int DeviceCount(const ApiSnapshot& snap) {
  int n = 0;
  ForEachDevice(snap, [&](const v1::WorkerStatus&, const v1::DeviceStatus&, int, int) { ++n; });
  return n;
}

Json VersionSection(const ApiSnapshot& snap) {
  return Json{{"CGMiner", snap.status.master_version()},
              {"API", kApiVersion},
              {"Miner", Description(snap)}};
}

Json ConfigSection(const ApiSnapshot& snap) {
  bool cpu = false, gpu = false;
  ForEachDevice(snap, [&](const v1::WorkerStatus&, const v1::DeviceStatus& d, int, int) {
    (d.kind() == "cuda" ? gpu : cpu) = true;
  });
  std::string codes = absl::StrCat(cpu ? "CPU " : "", gpu ? "GPU " : "");
  return Json{{"ASC Count", DeviceCount(snap)},
              {"PGA Count", 0},
              {"Pool Count", snap.pools.pools_size()},
              {"Strategy", "Failover"},
              {"Log Interval", 5},
              {"Device Code", codes},
              {"OS", "Linux"},
              {"Hotplug", "None"},
              {"Workers", snap.status.workers()}};
}

Json SummarySection(const ApiSnapshot& snap) {
  const v1::StatusResponse& s = snap.status;
  const v1::ShareCounts& c = s.shares();
  const double elapsed = s.uptime_s();
  const double av = s.reported_rates().last_15m_hps(), now = s.reported_rates().last_5s_hps();
  const double judged = static_cast<double>(c.accepted() + c.rejected() + c.stale());
  return Json{{"Elapsed", static_cast<int64_t>(elapsed)},
              {"MHS av", Mhs(av)},
              {"MHS 5s", Mhs(now)},
              {"MHS 1m", Mhs(s.reported_rates().last_1m_hps())},
              {"MHS 15m", Mhs(s.reported_rates().last_15m_hps())},
              {"GHS 5s", Ghs(now)},
              {"GHS av", Ghs(av)},
              {"Accepted", c.accepted()},
              {"Rejected", c.rejected()},
              {"Hardware Errors", c.hardware_error()},
              {"Utility", PerMinute(static_cast<double>(c.accepted()), elapsed)},
              {"Stale", c.stale()},
              {"Difficulty Accepted", Round(c.accepted_difficulty(), 8)},
              {"Best Share", static_cast<uint64_t>(std::floor(s.best_share_difficulty()))},
              {"Device Hardware%", Percent(c.hardware_error(), c.found())},
              {"Pool Rejected%", Percent(c.rejected(), judged)},
              {"Pool Stale%", Percent(c.stale(), judged)},
              {"Workers", s.workers()},
              {"Found", c.found()}};
}

Json PoolsSection(const ApiSnapshot& snap, const std::string& user) {
  Json pools = Json::array();
  // Priority 0 is the pool the master prefers, then the failover order.
  int next_priority = 1;
  for (const v1::PoolStatus& p : snap.pools.pools()) {
    const bool stratum_active = p.active() && p.connected();
    const double judged = static_cast<double>(p.accepted() + p.rejected() + p.stale());
    pools.push_back(
        Json{{"POOL", p.index()},
             {"URL", p.url()},
             {"Status", PoolLife(p)},
             {"Priority", p.preferred() ? 0 : next_priority++},
             {"Quota", 1},
             {"Long Poll", "N"},
             {"Accepted", p.accepted()},
             {"Rejected", p.rejected()},
             {"Stale", p.stale()},
             {"Get Failures", p.disconnects()},
             {"User", user},
             {"Has Stratum", true},
             {"Stratum Active", stratum_active},
             {"Stratum URL", stratum_active ? WithoutScheme(p.url()) : ""},
             {"Stratum Difficulty", stratum_active ? snap.status.pool_difficulty() : 0.0},
             {"Pool Rejected%", Percent(p.rejected(), judged)},
             {"Pool Stale%", Percent(p.stale(), judged)},
             {"State", p.state()},
             {"Connects", p.connects()},
             {"Disconnects", p.disconnects()},
             {"Failovers", p.failovers()}});
  }
  return pools;
}

Json DevsSection(const ApiSnapshot& snap) {
  Json devs = Json::array();
  ForEachDevice(snap, [&](const v1::WorkerStatus& w, const v1::DeviceStatus& d, int index, int id) {
    const double valid = static_cast<double>(d.shares_valid());
    devs.push_back(
        Json{{"ASC", index},
             {"Name", DriverName(d)},
             {"ID", id},
             {"Enabled", "Y"},
             {"Status", d.hung() ? "Dead" : d.flagged() ? "Sick" : "Alive"},
             {"MHS av", Mhs(d.reported_rate_hps())},
             {"MHS 5s", Mhs(d.reported_rate_hps())},
             {"Accepted", d.shares_valid()},
             {"Hardware Errors", d.hardware_errors()},
             {"Utility", PerMinute(valid, w.connected_s())},
             {"Device Hardware%", Percent(d.hardware_errors(), d.hardware_errors() + valid)},
             {"Device Elapsed", static_cast<int64_t>(w.connected_s())},
             {"Worker", w.worker_id()},
             {"Device", d.name()},
             {"Impl", d.impl()},
             {"MHS Verified", Mhs(d.verified_rate_hps())}});
  });
  return devs;
}

Json StatsSection(const ApiSnapshot& snap) {
  const int64_t elapsed = static_cast<int64_t>(snap.status.uptime_s());
  // bmminer's layout, which farm tools read: the miner first, then one entry per device and
  // per pool, each with the miner's Elapsed.
  Json stats = Json::array({Json{
      {"CGMiner", snap.status.master_version()}, {"Miner", Description(snap)}, {"Type", "synth"}}});
  int i = 0;
  ForEachDevice(snap, [&](const v1::WorkerStatus& w, const v1::DeviceStatus& d, int, int id) {
    stats.push_back(Json{{"STATS", i++},
                         {"ID", absl::StrCat(DriverName(d), id)},
                         {"Elapsed", elapsed},
                         {"Worker", w.worker_id()},
                         {"Device", d.name()},
                         {"Batch Latency ms", Round(d.batch_latency_ms(), 3)},
                         {"Work Ratio", Round(w.work_ratio(), 4)}});
  });
  for (const v1::PoolStatus& p : snap.pools.pools()) {
    stats.push_back(Json{{"STATS", i++},
                         {"ID", absl::StrCat("POOL", p.index())},
                         {"Elapsed", elapsed},
                         {"Work Diff", p.active() ? snap.status.pool_difficulty() : 0.0}});
  }
  return stats;
}

}  // namespace synth::api
