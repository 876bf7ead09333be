#include "master/ctl/format.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/format.h"

namespace synth::ctl {
namespace {

std::string Counts(const v1::ShareCounts& c) {
  return absl::StrFormat(
      "found %d = accepted %d + rejected %d + stale %d + duplicate %d + below_target %d + "
      "hardware_error %d + unknown_unit %d + pool_down %d + rate_limited %d + pending %d",
      c.found(), c.accepted(), c.rejected(), c.stale(), c.duplicate(), c.below_target(),
      c.hardware_error(), c.unknown_unit(), c.pool_down(), c.rate_limited(), c.pending());
}

}  // namespace

std::string FormatStatus(const v1::StatusResponse& s) {
  std::string out;
  absl::StrAppendFormat(&out, "master     synth-master %s, up %.0f s\n", s.master_version(),
                        s.uptime_s());
  absl::StrAppendFormat(&out, "pool       %s (%s), difficulty %g, job %s\n",
                        s.pool_url().empty() ? "-" : s.pool_url(),
                        s.pool_connected() ? "connected" : "down", s.pool_difficulty(),
                        s.job_id().empty() ? "-" : s.job_id());
  absl::StrAppendFormat(&out, "workers    %d\n", s.workers());
  absl::StrAppendFormat(&out, "rate       %s reported, %s verified (60 s), %s accepted (avg)\n",
                        FormatHashRate(s.reported_rate_hps()),
                        FormatHashRate(s.verified_rate_hps()),
                        FormatHashRate(s.accepted_rate_hps()));
  absl::StrAppendFormat(&out, "shares     %s\n", Counts(s.shares()));
  if (s.share_path_samples() > 0) {
    absl::StrAppendFormat(&out,
                          "share path found → submitted: p50 %.2f ms, p99 %.2f ms (%d shares)\n",
                          s.share_path_p50_ms(), s.share_path_p99_ms(), s.share_path_samples());
  }
  absl::StrAppendFormat(&out,
                        "work       units queued %d, leased %d; midstates cached %d; "
                        "jobs live %d\n",
                        s.units_queued(), s.units_leased(), s.midstates_cached(), s.jobs_live());
  absl::StrAppendFormat(&out, "clean job  fan-out to every worker %.2f ms (max %.2f ms)\n",
                        s.clean_fanout_ms(), s.clean_fanout_max_ms());
  absl::StrAppendFormat(&out, "coverage   audit %s; units re-queued %d, leases expired %d\n",
                        s.coverage_audit().empty() ? "-" : s.coverage_audit(), s.units_requeued(),
                        s.leases_expired());
  return out;
}

std::string FormatWorkers(const v1::WorkersResponse& w) {
  std::string out = absl::StrFormat("%-20s %-22s %14s %14s %6s %8s %6s %s\n", "WORKER", "PEER",
                                    "REPORTED", "VERIFIED", "RATIO", "ACCEPTED", "HW", "FLAG");
  for (const v1::WorkerStatus& x : w.workers()) {
    absl::StrAppendFormat(&out, "%-20s %-22s %14s %14s %5.1f%% %8d %6d %s\n", x.worker_id(),
                          x.peer(), FormatHashRate(x.reported_rate_hps()),
                          FormatHashRate(x.verified_rate_hps()), 100 * x.work_ratio(),
                          x.shares().accepted(), x.shares().hardware_error(),
                          x.flagged() ? "FLAGGED" : "");
    for (const v1::DeviceStatus& d : x.devices()) {
      absl::StrAppendFormat(&out, "  %-18s %-22s %14s %14s %6s %8d %6d %s\n", d.name(),
                            absl::StrCat(d.kind(), " ", d.impl()),
                            FormatHashRate(d.reported_rate_hps()),
                            FormatHashRate(d.verified_rate_hps()), "", d.shares_valid(),
                            d.hardware_errors(), d.flagged() ? "FLAGGED" : "");
    }
  }
  return out;
}

std::string FormatShares(const v1::SharesResponse& s) {
  return absl::StrCat(Counts(s.totals()), "\n");
}

}  // namespace synth::ctl
