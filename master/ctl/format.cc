#include "master/ctl/format.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/format.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"
#include "proto/share_states.h"

namespace synth::ctl {
namespace {

std::string Rate(double hps) { return FormatHashRate(hps); }

std::string Dash(const std::string& s) { return s.empty() ? "-" : s; }

// "found N = accepted a + ... + pending p", every state of the one table in its order.
std::string Counts(const v1::ShareCounts& c) {
  std::string out = absl::StrCat("found ", c.found(), " =");
  const char* sep = " ";
  for (const proto::ShareStateInfo& s : proto::kShareStates) {
    absl::StrAppend(&out, sep, absl::string_view(s.name.data(), s.name.size()), " ",
                    (c.*s.count)());
    sep = " + ";
  }
  if (c.resent() > 0) absl::StrAppend(&out, " (", c.resent(), " resent)");
  return out;
}

std::string Windows(const v1::RateWindows& w) {
  return absl::StrFormat("%14s %14s %14s", Rate(w.last_5s_hps()), Rate(w.last_1m_hps()),
                         Rate(w.last_15m_hps()));
}

bool Is64BitInteger(const google::protobuf::FieldDescriptor& f) {
  using FD = google::protobuf::FieldDescriptor;
  return f.cpp_type() == FD::CPPTYPE_INT64 || f.cpp_type() == FD::CPPTYPE_UINT64;
}

// Turns the string values of `d`'s 64-bit integer fields in `j` (proto JSON of a `d`) into
// numbers, in nested and repeated messages too.
void NumbersFor64BitFields(const google::protobuf::Descriptor& d, nlohmann::json* j) {
  if (!j->is_object()) return;
  for (int i = 0; i < d.field_count(); ++i) {
    const google::protobuf::FieldDescriptor& f = *d.field(i);
    auto it = j->find(f.name());
    if (it == j->end()) continue;
    nlohmann::json* values = &*it;
    nlohmann::json one = nlohmann::json::array({*it});
    if (!f.is_repeated()) values = &one;
    for (nlohmann::json& v : *values) {
      if (f.message_type() != nullptr && !f.is_map()) {
        NumbersFor64BitFields(*f.message_type(), &v);
      } else if (Is64BitInteger(f) && v.is_string()) {
        nlohmann::json n = nlohmann::json::parse(v.get<std::string>(), nullptr, false);
        if (n.is_number_integer()) v = n;
      }
    }
    if (!f.is_repeated()) *it = one[0];
  }
}

std::string Age(double s) {
  if (s < 120) return absl::StrFormat("%.1f s", s);
  if (s < 7200) return absl::StrFormat("%.1f min", s / 60);
  return absl::StrFormat("%.1f h", s / 3600);
}

// "HUNG" (the worker's watchdog has it hung), "FLAGGED" (backed off for hardware errors), both,
// or "".
std::string DeviceFlags(const v1::DeviceStatus& d) {
  std::vector<std::string> flags;
  if (d.hung()) flags.push_back("HUNG");
  if (d.flagged()) flags.push_back("FLAGGED");
  return absl::StrJoin(flags, ",");
}

// The worker's FLAGGED, plus HUNG when one of its devices is.
std::string WorkerFlags(const v1::WorkerStatus& x) {
  bool hung = false;
  for (const v1::DeviceStatus& d : x.devices()) hung |= d.hung();
  std::vector<std::string> flags;
  if (hung) flags.push_back("HUNG");
  if (x.flagged()) flags.push_back("FLAGGED");
  return absl::StrJoin(flags, ",");
}

}  // namespace

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, opts);
  // Proto JSON writes 64-bit integers as strings ("found":"76"); scripts compare numbers.
  nlohmann::json j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return out;
  NumbersFor64BitFields(*m.GetDescriptor(), &j);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string StateName(v1::ShareState s) { return std::string(proto::ShareStateName(s)); }

int64_t LedgerGap(const v1::ShareCounts& c) {
  return static_cast<int64_t>(c.found()) - static_cast<int64_t>(proto::SumOfStates(c));
}

std::string FormatStatus(const v1::StatusResponse& s) {
  std::string out;
  absl::StrAppendFormat(&out, "master      synth-master %s, up %s\n", Dash(s.master_version()),
                        Age(s.uptime_s()));
  absl::StrAppendFormat(&out, "pool        %s (%s)\n", Dash(s.pool_url()),
                        s.pool_connected() ? "connected" : "down");
  absl::StrAppendFormat(&out, "difficulty  %g\n", s.pool_difficulty());
  absl::StrAppendFormat(&out, "job         %s, age %s\n", Dash(s.job_id()), Age(s.job_age_s()));
  absl::StrAppendFormat(&out, "workers     %d (%d draining)\n", s.workers(),
                        s.workers_draining());
  absl::StrAppendFormat(&out, "rate        %-9s %14s %14s %14s\n", "", "5 s", "1 min", "15 min");
  absl::StrAppendFormat(&out, "            %-9s %s\n", "reported", Windows(s.reported_rates()));
  absl::StrAppendFormat(&out, "            %-9s %s\n", "verified", Windows(s.verified_rates()));
  absl::StrAppendFormat(&out, "            %-9s %s\n", "accepted", Windows(s.accepted_rates()));
  absl::StrAppendFormat(&out, "shares      %s\n", Counts(s.shares()));
  if (s.share_path_samples() > 0) {
    absl::StrAppendFormat(&out, "share path  found → submitted p50 %.2f ms, p99 %.2f ms (%d)\n",
                          s.share_path_p50_ms(), s.share_path_p99_ms(), s.share_path_samples());
  }
  absl::StrAppendFormat(&out,
                        "work        units queued %d, leased %d; midstates cached %d; "
                        "jobs live %d\n",
                        s.units_queued(), s.units_leased(), s.midstates_cached(), s.jobs_live());
  absl::StrAppendFormat(&out, "clean job   fan-out %.2f ms (max %.2f ms)\n", s.clean_fanout_ms(),
                        s.clean_fanout_max_ms());
  absl::StrAppendFormat(&out, "coverage    audit %s; units re-queued %d, leases expired %d\n",
                        Dash(s.coverage_audit()), s.units_requeued(), s.leases_expired());
  if (s.has_stratum_port()) {
    const v1::StratumPortStatus& p = s.stratum_port();
    absl::StrAppendFormat(&out,
                          "stratum     %s: %d miners (%d slots held, %d+%d extranonce2 bytes); "
                          "refused %d, dropped %d\n",
                          p.listen(), p.connections(), p.slots_held(), p.slot_bytes(),
                          p.miner_bytes(), p.refused(), p.dropped());
    absl::StrAppendFormat(&out,
                          "            shares forwarded %d, local %d, refused %d; share path "
                          "p50 %.2f ms p99 %.2f ms (%d); clean fan-out p50 %.2f ms p99 %.2f ms\n",
                          p.shares_forwarded(), p.shares_local(), p.shares_refused(),
                          p.share_path_p50_ms(), p.share_path_p99_ms(), p.share_path_samples(),
                          p.clean_fanout_p50_ms(), p.clean_fanout_p99_ms());
  }
  return out;
}

std::string FormatWorkers(const v1::WorkersResponse& w) {
  std::string out =
      absl::StrFormat("%-20s %-22s %-8s %14s %14s %6s %6s %8s %6s %s\n", "WORKER", "PEER",
                      "STATE", "REPORTED", "VERIFIED", "RATIO", "UNITS", "ACCEPTED", "HW", "FLAG");
  for (const v1::WorkerStatus& x : w.workers()) {
    std::string flags = WorkerFlags(x);
    if (x.kind() == "stratum") {  // A miner on the Stratum port: its difficulty and software,
      // and with a pool split the pool it mines.
      flags = absl::StrCat(flags, flags.empty() ? "" : " ",
                           x.pool_index() >= 0 ? absl::StrCat("pool ", x.pool_index(), " ") : "",
                           "diff ", absl::StrFormat("%g", x.difficulty()), " ", x.user_agent());
    }
    absl::StrAppendFormat(&out, "%-20s %-22s %-8s %14s %14s %5.1f%% %6d %8d %6d %s\n",
                          x.worker_id(), x.peer(), Dash(x.lease_state()),
                          Rate(x.reported_rate_hps()), Rate(x.verified_rate_hps()),
                          100 * x.work_ratio(), x.units_leased(), x.shares().accepted(),
                          x.shares().hardware_error(), flags);
    for (const v1::DeviceStatus& d : x.devices()) {
      absl::StrAppendFormat(&out, "  %-18s %-22s %-8s %14s %14s %6s %6s %8d %6d %s\n", d.name(),
                            absl::StrCat(d.kind(), " ", d.impl()), "", Rate(d.reported_rate_hps()),
                            Rate(d.verified_rate_hps()), "", "", d.shares_valid(),
                            d.hardware_errors(), DeviceFlags(d));
    }
  }
  return out;
}

std::string FormatDevices(const v1::WorkersResponse& w) {
  std::string out = absl::StrFormat("%-20s %-14s %-6s %-14s %14s %14s %8s %6s %9s %s\n", "WORKER",
                                    "DEVICE", "KIND", "IMPL", "REPORTED", "VERIFIED", "VALID",
                                    "HW", "BATCH", "FLAG");
  for (const v1::WorkerStatus& x : w.workers()) {
    for (const v1::DeviceStatus& d : x.devices()) {
      absl::StrAppendFormat(&out, "%-20s %-14s %-6s %-14s %14s %14s %8d %6d %6.1f ms %s\n",
                            x.worker_id(), d.name(), d.kind(), d.impl(),
                            Rate(d.reported_rate_hps()), Rate(d.verified_rate_hps()),
                            d.shares_valid(), d.hardware_errors(), d.batch_latency_ms(),
                            DeviceFlags(d));
    }
  }
  return out;
}

std::string FormatSharesSummary(const v1::SharesResponse& s) {
  int64_t gap = LedgerGap(s.totals());
  return absl::StrCat(Counts(s.totals()), "\n",
                      gap == 0 ? "ledger      reconciles (found = sum of states)\n"
                               : absl::StrFormat("ledger      MISMATCH: %d shares in no state\n",
                                                 gap));
}

std::string FormatShares(const v1::SharesResponse& s) {
  std::string out = FormatSharesSummary(s);
  if (s.recent_size() == 0) return out;
  absl::StrAppendFormat(&out, "\n%8s %-20s %-10s %10s %-30s %10s %-14s %s\n", "AGE", "WORKER",
                        "DEVICE", "SHARE", "JOB", "DIFF", "STATE", "REASON");
  for (const v1::ShareRecord& r : s.recent()) {
    std::string reason = r.reason();
    if (r.pool_code() != 0) reason = absl::StrCat(reason, " (code ", r.pool_code(), ")");
    absl::StrAppendFormat(&out, "%8s %-20s %-10s %10d %-30s %10g %-14s %s\n", Age(r.age_s()),
                          r.worker_id(), Dash(r.device()), r.share_id(), r.job_key(),
                          r.difficulty(), StateName(r.state()), Dash(reason));
  }
  return out;
}

std::string FormatJobs(const v1::JobsResponse& j) {
  std::string out =
      absl::StrFormat("%-30s %-12s %-7s %-5s %10s %10s %9s %6s %6s %6s %s\n", "JOB", "POOL JOB",
                      "CURRENT", "CLEAN", "DIFF", "AGE", "MIDSTATES", "QUEUED", "LEASED", "DONE",
                      "HASHES");
  for (const v1::JobStatus& x : j.jobs()) {
    absl::StrAppendFormat(&out, "%-30s %-12s %-7s %-5s %10g %10s %9d %6d %6d %6d %d\n",
                          x.job_key(), x.pool_job_id(), x.current() ? "yes" : "", 
                          x.clean() ? "yes" : "", x.difficulty(), Age(x.age_s()),
                          x.midstates_built(), x.units_queued(), x.units_leased(),
                          x.units_done(), x.hashes_done());
  }
  return out;
}

std::string FormatPools(const v1::PoolsResponse& p) {
  std::string out = absl::StrFormat("%-5s %-36s %-10s %-9s %8s %8s %6s %8s %8s %s\n", "INDEX",
                                    "URL", "STATE", "CONNECTED", "ACCEPTED", "REJECTED", "STALE",
                                    "CONNECTS", "FAILOVER", "FLAGS");
  for (const v1::PoolStatus& x : p.pools()) {
    std::string flags;
    if (x.preferred()) flags += "preferred ";
    if (x.added()) flags += "added";
    absl::StrAppendFormat(&out, "%-5d %-36s %-10s %-9s %8d %8d %6d %8d %8d %s\n", x.index(),
                          x.url(), x.state(), x.connected() ? "yes" : "no", x.accepted(),
                          x.rejected(), x.stale(), x.connects(), x.failovers(), flags);
  }
  absl::StrAppendFormat(&out, "operator switches: %d\n", p.switches());
  if (p.split()) out += FormatSplit(p);
  return out;
}

std::string FormatSplit(const v1::PoolsResponse& p) {
  std::string out = absl::StrFormat(
      "split: %s%s\n",
      p.split_level() >= 0 ? absl::StrCat("level ", p.split_level(), " mining")
                           : std::string(p.split_paused() ? "paused" : "no live pool"),
      p.split_window() >= 0 ? absl::StrCat(", schedule window ", p.split_window())
                            : std::string(", base weights"));
  absl::StrAppendFormat(&out, "%-5s %8s %5s %-4s %7s %14s %8s %14s %7s %6s %14s\n", "INDEX",
                        "WEIGHT", "LEVEL", "LIVE", "TARGET", "ASSIGNED_H", "ASSIGNED", "WORK_H",
                        "WORK", "MINERS", "DOWNSTREAM_H");
  for (const v1::PoolStatus& x : p.pools()) {
    absl::StrAppendFormat(
        &out, "%-5d %8g %5d %-4s %6.2f%% %14.4g %7.2f%% %14.4g %6.2f%% %6d %14.4g\n", x.index(),
        x.weight(), x.level(), x.live() ? "yes" : "no", x.target_share() * 100,
        static_cast<double>(x.hashes_assigned()), x.assigned_share() * 100, x.verified_work(),
        x.work_share() * 100, x.stratum_miners(), static_cast<double>(x.hashes_downstream()));
  }
  return out;
}

std::string FormatDrain(const v1::DrainResponse& d) {
  if (!d.draining()) return absl::StrFormat("worker %s: leasing again\n", d.worker_id());
  return absl::StrFormat("worker %s: draining, %d units still leased, %d re-queued\n",
                         d.worker_id(), d.units_leased(), d.units_requeued());
}

std::string FormatSwitchPool(const v1::SwitchPoolResponse& r) {
  return absl::StrFormat("switched to pool %d %s%s\n", r.index(), r.url(),
                         r.added() ? " (added)" : "");
}

std::string Sparkline(const std::vector<double>& values, int width) {
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (values.empty() || width <= 0) return "";
  std::vector<double> v;
  size_t group = (values.size() + width - 1) / width;
  for (size_t i = 0; i < values.size(); i += group) {
    double sum = 0;
    size_t n = std::min(group, values.size() - i);
    for (size_t k = 0; k < n; ++k) sum += values[i + k];
    v.push_back(sum / n);
  }
  double max = *std::max_element(v.begin(), v.end());
  std::string out;
  for (double x : v) {
    int level = max > 0 ? static_cast<int>(x / max * 7 + 0.5) : 0;
    out += kBlocks[std::clamp(level, 0, 7)];
  }
  return out;
}

std::string FormatWatch(const v1::StatusResponse& s, const v1::WorkersResponse& w, int width) {
  std::string out;
  absl::StrAppendFormat(&out, "synth %s  pool %s (%s)  diff %g  job %s (%s)\n",
                        Dash(s.master_version()), Dash(s.pool_url()),
                        s.pool_connected() ? "connected" : "down", s.pool_difficulty(),
                        Dash(s.job_id()), Age(s.job_age_s()));
  absl::StrAppendFormat(&out, "%-9s %14s %14s %14s\n", "rate", "5 s", "1 min", "15 min");
  absl::StrAppendFormat(&out, "%-9s %s\n", "reported", Windows(s.reported_rates()));
  absl::StrAppendFormat(&out, "%-9s %s\n", "verified", Windows(s.verified_rates()));
  absl::StrAppendFormat(&out, "%-9s %s\n", "accepted", Windows(s.accepted_rates()));
  std::vector<double> hist;
  for (const v1::RateSample& r : s.history()) hist.push_back(r.reported_hps());
  double peak = hist.empty() ? 0 : *std::max_element(hist.begin(), hist.end());
  absl::StrAppendFormat(&out, "history   %s  (%d s, peak %s)\n", Sparkline(hist, width),
                        hist.size(), Rate(peak));
  absl::StrAppendFormat(&out, "shares    %s\n", Counts(s.shares()));
  absl::StrAppendFormat(&out, "\n%-20s %-8s %14s %14s %6s %8s %s\n", "WORKER", "STATE",
                        "REPORTED", "VERIFIED", "UNITS", "ACCEPTED", "FLAG");
  for (const v1::WorkerStatus& x : w.workers()) {
    absl::StrAppendFormat(&out, "%-20s %-8s %14s %14s %6d %8d %s\n", x.worker_id(),
                          Dash(x.lease_state()), Rate(x.reported_rate_hps()),
                          Rate(x.verified_rate_hps()), x.units_leased(), x.shares().accepted(),
                          WorkerFlags(x));
  }
  return out;
}

}  // namespace synth::ctl
