#include "worker/http/worker_http.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/metrics/exposition.h"
#include "common/metrics/registry.h"

namespace synth::worker {
namespace {

using metrics::Registry;

// "SHARE_STATE_HARDWARE_ERROR" → "hardware_error" (the master's verdict label values).
std::string VerdictLabel(const std::string& state) {
  std::string v = state;
  if (absl::StartsWith(v, "SHARE_STATE_")) v = v.substr(12);
  return absl::AsciiStrToLower(v);
}

void RenderDevices(const WorkerSnapshot& s, Registry& r) {
  const std::vector<std::string> wd = {"worker", "device"};
  auto& rate =
      r.AddGauge("synth_hashrate_hashes_per_second", "Device rate over its last 2 s of batches (its start-up excluded)", wd);
  auto& hashes = r.AddCounter("synth_hashes_total", "Nonces hashed", wd);
  auto& shares = r.AddCounter("synth_device_shares_total", "Shares found and verified locally", wd);
  auto& errors =
      r.AddCounter("synth_device_errors_total", "Failed scans plus nonces that did not verify", wd);
  auto& idle = r.AddCounter("synth_device_idle_seconds_total", "Time spent waiting for work", wd);
  auto& latency = r.AddGauge("synth_device_batch_latency_seconds", "Mean batch wall time", wd);
  auto& batch = r.AddGauge("synth_device_batch_nonces", "Nonces in the next batch", wd);
  auto& disabled = r.AddGauge("synth_device_disabled", "1 after too many consecutive errors", wd);
  auto& hung = r.AddGauge("synth_device_hung", "1 while the watchdog has it hung", wd);
  auto& hangs = r.AddCounter("synth_device_hangs_total", "Hangs the watchdog found", wd);
  auto& temp = r.AddGauge("synth_device_temperature_celsius", "GPU temperature", wd);
  auto& power = r.AddGauge("synth_device_power_watts", "GPU power draw", wd);
  auto& util = r.AddGauge("synth_device_utilization_ratio", "GPU utilization, 0..1", wd);
  for (const DeviceStats& d : s.devices) {
    std::vector<std::string> l = {s.worker_id, d.info.name};
    rate.WithLabels(l).Set(d.window.rate_hps);
    hashes.WithLabels(l).Increment(static_cast<double>(d.hashes_total));
    shares.WithLabels(l).Increment(static_cast<double>(d.shares_total));
    errors.WithLabels(l).Increment(static_cast<double>(d.errors_total));
    idle.WithLabels(l).Increment(d.idle_seconds);
    latency.WithLabels(l).Set(d.window.mean_latency_ms / 1000);
    batch.WithLabels(l).Set(static_cast<double>(d.batch_size));
    disabled.WithLabels(l).Set(d.disabled ? 1 : 0);
    hung.WithLabels(l).Set(d.hung ? 1 : 0);
    hangs.WithLabels(l).Increment(static_cast<double>(d.hangs));
    if (d.hardware.temperature_c) temp.WithLabels(l).Set(*d.hardware.temperature_c);
    if (d.hardware.power_w) power.WithLabels(l).Set(*d.hardware.power_w);
    if (d.hardware.utilization_pct) util.WithLabels(l).Set(*d.hardware.utilization_pct / 100);
  }
}

void RenderConnection(const WorkerSnapshot& s, Registry& r) {
  const ConnectionStats& c = s.connection;
  auto gauge = [&r](const char* name, const char* help, double v) {
    r.AddGauge(name, help, {}).WithLabels({}).Set(v);
  };
  auto counter = [&r](const char* name, const char* help, double v) {
    r.AddCounter(name, help, {}).WithLabels({}).Increment(v);
  };
  r.AddGauge("synth_worker_info", "This worker (value 1)", {"worker"})
      .WithLabels({s.worker_id})
      .Set(1);
  gauge("synth_worker_uptime_seconds", "Seconds since the worker started", s.uptime_s);
  gauge("synth_worker_master_connected", "1 while a master stream is up and welcomed",
        c.connected ? 1 : 0);
  gauge("synth_worker_buffered_seconds", "Seconds of work buffered", s.buffered_s);
  counter("synth_worker_streams_total", "Master streams opened", c.streams);
  r.AddGauge("synth_worker_master", "The master streamed to (value 1)", {"master"})
      .WithLabels({c.master})
      .Set(1);
  counter("synth_worker_master_moves_total", "Moves to another master (failovers and returns)",
          c.master_moves);
  counter("synth_worker_connection_wakeups_total",
          "Timer callbacks of the master connection (progress, telemetry, lease rate limit, "
          "reconnect, failover)",
          c.wakeups);
  counter("synth_worker_lease_grants_total", "LeaseGrants received", c.grants);
  counter("synth_worker_units_leased_total", "Work units leased", c.units_leased);
  counter("synth_worker_units_completed_total", "Work units reported completed", c.units_completed);
  counter("synth_worker_cancels_total", "Cancel messages applied", c.cancels);
  counter("synth_shares_found_total", "Shares found", c.outbox.found);
  gauge("synth_shares_unanswered", "Shares held awaiting a verdict", c.outbox.pending);
  counter("synth_shares_dropped_total", "Shares evicted past the outbox capacity",
          c.outbox.dropped);
  auto& verdicts =
      r.AddCounter("synth_shares_total", "Shares by the master's verdict", {"verdict"});
  for (const char* v : {"accepted", "rejected", "stale", "master_lost"}) verdicts.WithLabels({v});
  for (const auto& [state, n] : c.verdicts) {
    verdicts.WithLabels({VerdictLabel(state)}).Increment(static_cast<double>(n));
  }
  // The worker's own end for a share whose master it left and that never came back.
  verdicts.WithLabels({"master_lost"}).Increment(static_cast<double>(c.shares_master_lost));
}

}  // namespace

WorkerHealth CheckWorkerHealth(const WorkerSnapshot& snap, absl::Duration startup_grace) {
  bool any_device = false;
  for (const DeviceStats& d : snap.devices) any_device |= !d.disabled && !d.hung;
  if (!any_device) return {false, "all devices disabled or hung"};
  if (snap.connection.connected) return {true, "ok"};
  if (absl::Seconds(snap.uptime_s) < startup_grace)
    return {true, "starting: master not connected yet"};
  std::string why =
      snap.connection.last_error.empty() ? "never connected" : snap.connection.last_error;
  return {false, absl::StrCat("master disconnected: ", why)};
}

std::string RenderWorkerMetrics(const WorkerSnapshot& snap) {
  Registry r;
  RenderDevices(snap, r);
  RenderConnection(snap, r);
  return r.Render();
}

absl::StatusOr<std::unique_ptr<WorkerHttpServer>> StartWorkerHttp(const std::string& listen,
                                                                  WorkerSnapshotFn snapshot,
                                                                  absl::Duration startup_grace) {
  if (snapshot == nullptr) return absl::InvalidArgumentError("StartWorkerHttp: no snapshot");
  std::unique_ptr<WorkerHttpServer> w(new WorkerHttpServer());
  w->snapshot_ = std::move(snapshot);
  w->grace_ = startup_grace;
  WorkerHttpServer* self = w.get();
  absl::StatusOr<std::unique_ptr<metrics::HttpServer>> server = metrics::HttpServer::Start(
      listen, {{"/metrics",
                [self] {
                  return metrics::HttpResponse{200, metrics::kContentType,
                                               RenderWorkerMetrics(self->snapshot_())};
                }},
               {"/healthz", [self] {
                  WorkerHealth h = CheckWorkerHealth(self->snapshot_(), self->grace_);
                  return metrics::HttpResponse{h.ok ? 200 : 503, "text/plain; charset=utf-8",
                                               h.reason + "\n"};
                }}});
  if (!server.ok()) return server.status();
  w->server_ = *std::move(server);
  return w;
}

}  // namespace synth::worker
