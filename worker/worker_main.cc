#include "worker/worker_main.h"

#include <signal.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/metrics/http_server.h"
#include "nlohmann/json.hpp"
#include "proto/client_flags.h"
#include "proto/grpc_credentials.h"
#include "worker/conn/master_connection.h"
#include "worker/http/worker_http.h"
#include "worker/scheduler/scheduler.h"

ABSL_FLAG(std::string, master, synth::worker::kDefaultMasterAddress,
          "synth-master worker endpoint HOST:PORT, or several comma-separated in priority order "
          "(A:4650,B:4650): the worker streams to the first healthy one");
ABSL_FLAG(double, master_failover_seconds, 2,
          "With several masters: move to the next when a lost stream is not re-established "
          "within this many seconds");
ABSL_FLAG(double, master_return_seconds, 30,
          "With several masters: return to an earlier master once it has been healthy this long");
ABSL_FLAG(double, master_keepalive_seconds, 15,
          "gRPC keepalive ping interval to the master (answer expected within 5 s): how soon a "
          "silent master (a partition) is noticed; at least 10 (synth-master permits >= 5)");
ABSL_FLAG(double, master_lost_seconds, 120,
          "With several masters: shares found on a master the worker left wait this long for it, "
          "then end master_lost");
ABSL_FLAG(std::string, token, "", "Bearer token for the master (default: env SYNTH_TOKEN)");
ABSL_FLAG(std::string, id, "", "Worker id (default <hostname>-<pid>)");
ABSL_FLAG(double, batch_ms, 50, "Target wall time of one device batch, milliseconds");
ABSL_FLAG(double, buffer_seconds, 2, "Request more work when less than this is buffered");
ABSL_FLAG(double, lease_seconds, 0, "Seconds of work per lease request; 0 = master's choice");
ABSL_FLAG(double, run_seconds, 0, "Exit after this many seconds; 0 = run until signalled");
ABSL_FLAG(double, status_seconds, 10, "Seconds between status log lines; 0 = none");
ABSL_FLAG(std::string, http_listen, "",
          "Serve /metrics and /healthz on HOST:PORT (e.g. 127.0.0.1:9651); empty = off");
ABSL_FLAG(double, hang_seconds, 5,
          "Watchdog: a device batch past 10x its expected time and this many seconds is hung");
ABSL_FLAG(double, hang_give_up_seconds, 60,
          "Watchdog: a device hung this long (or 3 times in 10 minutes) is lost: exit status 3");

namespace synth::worker {

WorkerOptions WorkerOptionsFromFlags(DeviceOptions devices) {
  WorkerOptions o;
  o.master = absl::GetFlag(FLAGS_master);
  o.master_failover_seconds = absl::GetFlag(FLAGS_master_failover_seconds);
  o.master_return_seconds = absl::GetFlag(FLAGS_master_return_seconds);
  o.master_lost_seconds = absl::GetFlag(FLAGS_master_lost_seconds);
  o.master_keepalive_seconds = absl::GetFlag(FLAGS_master_keepalive_seconds);
  const proto::ClientCredentialOptions tls = proto::ClientCredentialFlags();
  o.token = absl::GetFlag(FLAGS_token);
  o.token_file = tls.token_file;
  if (o.token.empty() && o.token_file.empty()) {
    const char* env = std::getenv("SYNTH_TOKEN");
    if (env != nullptr) o.token = env;
  }
  o.tls_ca = tls.ca_file;
  o.tls_cert = tls.cert_file;
  o.tls_key = tls.key_file;
  o.worker_id = absl::GetFlag(FLAGS_id);
  o.devices = std::move(devices);
  o.batch_ms = absl::GetFlag(FLAGS_batch_ms);
  o.buffer_seconds = absl::GetFlag(FLAGS_buffer_seconds);
  o.lease_seconds = absl::GetFlag(FLAGS_lease_seconds);
  o.run_seconds = absl::GetFlag(FLAGS_run_seconds);
  o.status_seconds = absl::GetFlag(FLAGS_status_seconds);
  o.http_listen = absl::GetFlag(FLAGS_http_listen);
  o.hang_seconds = absl::GetFlag(FLAGS_hang_seconds);
  o.hang_give_up_seconds = absl::GetFlag(FLAGS_hang_give_up_seconds);
  return o;
}

namespace {

absl::Status Validate(const WorkerOptions& o) {
  std::vector<std::string> masters = absl::StrSplit(o.master, ',');
  for (const std::string& m : masters) {
    absl::string_view one = absl::StripAsciiWhitespace(m);
    size_t colon = one.rfind(':');
    if (colon == absl::string_view::npos || colon == 0 || colon + 1 == one.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "--master must be HOST:PORT or a comma-separated list of them, got '%s'", o.master));
    }
  }
  // Twice synth-master's 5 s minimum, so that timer jitter never looks like ping abuse
  // (GOAWAY too_many_pings).
  if (!(o.master_keepalive_seconds >= 10 && o.master_keepalive_seconds <= 3600)) {
    return absl::InvalidArgumentError(
        "--master-keepalive-seconds must be in [10, 3600] (synth-master permits pings every "
        ">= 5 s)");
  }
  if (!(o.master_failover_seconds > 0 && o.master_failover_seconds <= 3600) ||
      !(o.master_return_seconds >= 0 && o.master_return_seconds <= 86400) ||
      !(o.master_lost_seconds > 0 && o.master_lost_seconds <= 86400)) {
    return absl::InvalidArgumentError(
        "--master-failover-seconds must be in (0, 3600], --master-return-seconds in [0, 86400] "
        "and --master-lost-seconds in (0, 86400]");
  }
  if (!(o.batch_ms >= 1 && o.batch_ms <= 10000)) {
    return absl::InvalidArgumentError(absl::StrFormat("--batch-ms %g not in [1, 10000]", o.batch_ms));
  }
  if (!(o.buffer_seconds > 0 && o.buffer_seconds <= 600)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("--buffer-seconds %g not in (0, 600]", o.buffer_seconds));
  }
  if (!(o.lease_seconds >= 0) || !(o.run_seconds >= 0) || !(o.status_seconds >= 0)) {
    return absl::InvalidArgumentError(
        "--lease-seconds, --run-seconds and --status-seconds must be >= 0");
  }
  if (!(o.hang_seconds >= 0.1 && o.hang_seconds <= 3600) ||
      !(o.hang_give_up_seconds >= o.hang_seconds && o.hang_give_up_seconds <= 86400)) {
    return absl::InvalidArgumentError(
        "--hang-seconds must be in [0.1, 3600] and --hang-give-up-seconds in [hang-seconds, "
        "86400]");
  }
  if (!o.http_listen.empty()) {
    absl::StatusOr<std::pair<std::string, int>> addr = metrics::ParseHostPort(o.http_listen);
    if (!addr.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--http-listen: ", addr.status().message()));
    }
  }
  return absl::OkStatus();
}

struct Calibration {
  uint64_t hashes = 0;
  absl::Duration took;
};

// Times one Scan per device (in parallel, doubling from 2^16 nonces until a scan takes 20 ms)
// so the Hello carries real rates and the master sizes the first lease right. A first, untimed
// Scan pays for the device's start (a GPU's context and kernel loading): timed, it would pass
// for a 20 ms scan of 2^16 nonces and give a rate that is a small fraction of the real one.
std::vector<Calibration> Calibrate(const std::vector<std::unique_ptr<Device>>& devices) {
  std::vector<Calibration> out(devices.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < devices.size(); ++i) {
    threads.emplace_back([&devices, &out, i] {
      hash::ScanWork work;  // Target 0: nothing is found, every nonce is hashed.
      std::vector<FoundNonce> found;
      if (!devices[i]->Scan({&work, 1}, 0, uint64_t{1} << 16, nullptr, &found).ok()) return;
      for (uint64_t n = uint64_t{1} << 16; n <= (uint64_t{1} << 32); n *= 2) {
        absl::Time t0 = absl::Now();
        absl::StatusOr<uint64_t> done = devices[i]->Scan({&work, 1}, 0, n, nullptr, &found);
        absl::Duration took = absl::Now() - t0;
        if (!done.ok()) return;  // The scheduler will see and count the failure.
        if (took >= absl::Milliseconds(20) || n == (uint64_t{1} << 32)) {
          out[i] = {*done, took};
          return;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return out;
}

struct Totals {
  uint64_t hashes = 0;
  double rate = 0;
  std::vector<std::string> devices;
};

Totals Sum(const std::vector<DeviceStats>& stats) {
  Totals t;
  for (const DeviceStats& d : stats) {
    t.hashes += d.hashes_total;
    t.rate += d.window.rate_hps;
    t.devices.push_back(absl::StrFormat("%s %.2f MH/s %.0f ms", d.info.name, d.window.rate_hps / 1e6,
                                        d.window.mean_latency_ms));
  }
  return t;
}

void LogStatus(const Scheduler& sched, const MasterConnection& conn) {
  Totals t = Sum(sched.Stats());
  ConnectionStats c = conn.Stats();
  LOG(INFO) << absl::StrFormat(
      "%s %s | %.2f MH/s [%s] | shares accepted %d rejected %d stale %d invalid %d "
      "unanswered %d master_lost %d | buffered %.1f s",
      c.connected ? "connected to" : "DISCONNECTED from", c.master, t.rate / 1e6,
      absl::StrJoin(t.devices, ", "), c.shares_accepted, c.shares_rejected, c.shares_stale,
      c.shares_invalid, c.outbox.pending, c.shares_master_lost,
      absl::ToDoubleSeconds(std::min(sched.BufferedTime(), absl::Hours(1))));
}

// Waits for SIGINT/SIGTERM (blocked by the caller), the deadline or `device_lost`; logs status
// meanwhile.
void WaitForStop(const sigset_t& signals, const WorkerOptions& o, const Scheduler& sched,
                 const MasterConnection& conn, const absl::Notification& device_lost) {
  absl::Time start = absl::Now();
  absl::Time deadline = o.run_seconds > 0 ? start + absl::Seconds(o.run_seconds)
                                          : absl::InfiniteFuture();
  absl::Time next_status = o.status_seconds > 0 ? start + absl::Seconds(o.status_seconds)
                                                : absl::InfiniteFuture();
  while (!device_lost.HasBeenNotified()) {
    absl::Time now = absl::Now();
    if (now >= deadline) return;
    if (now >= next_status) {
      LogStatus(sched, conn);
      next_status = now + absl::Seconds(o.status_seconds);
    }
    absl::Duration wait = std::min({deadline - now, next_status - now, absl::Milliseconds(500)});
    timespec ts = absl::ToTimespec(wait);
    int sig = sigtimedwait(&signals, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) {
      LOG(INFO) << "signal " << sig << ": stopping";
      return;
    }
  }
}

void PrintSummary(absl::Duration ran, const Scheduler& sched, const MasterConnection& conn) {
  Totals t = Sum(sched.Stats());
  ConnectionStats c = conn.Stats();
  double seconds = absl::ToDoubleSeconds(ran);
  nlohmann::json j = {{"worker_id", conn.WorkerId()},
                      {"seconds", seconds},
                      {"hashes", t.hashes},
                      {"rate_hps", seconds > 0 ? static_cast<double>(t.hashes) / seconds : 0},
                      {"shares_found", c.outbox.found},
                      {"shares_accepted", c.shares_accepted},
                      {"shares_rejected", c.shares_rejected},
                      {"shares_stale", c.shares_stale},
                      {"shares_invalid", c.shares_invalid},
                      {"shares_unanswered", c.outbox.pending},
                      {"shares_master_lost", c.shares_master_lost},
                      {"master", c.master},
                      {"master_moves", c.master_moves},
                      {"streams", c.streams},
                      {"verdicts", c.verdicts}};
  std::cout << j.dump() << std::endl;
}

}  // namespace

int RunWorker(const WorkerOptions& options) {
  if (absl::Status valid = Validate(options); !valid.ok()) {
    std::cerr << "synth-worker: " << valid.message() << "\n";
    return 2;
  }
  // Block the stop signals before any thread (gRPC's included) exists, so only sigtimedwait
  // below sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::StatusOr<std::vector<std::unique_ptr<Device>>> devices = CreateDevices(options.devices);
  if (!devices.ok()) {
    std::cerr << "synth-worker: " << devices.status() << "\n";
    return 2;
  }
  if (devices->empty()) {
    std::cerr << "synth-worker: no devices to hash on (--devices " << options.devices.devices
              << ")\n";
    return 2;
  }
  absl::StatusOr<proto::ClientCredentials> creds = proto::MakeClientCredentials(
      {options.token, options.token_file, options.tls_ca, options.tls_cert, options.tls_key});
  if (!creds.ok()) {
    std::cerr << "synth-worker: " << creds.status().message() << "\n";
    return 2;
  }
  ConnectionOptions copts;
  copts.master = options.master;
  copts.failover = {.failover_after = absl::Seconds(options.master_failover_seconds),
                    .return_after = absl::Seconds(options.master_return_seconds)};
  copts.master_lost_after = absl::Seconds(options.master_lost_seconds);
  copts.keepalive_time = absl::Seconds(options.master_keepalive_seconds);
  copts.token = options.token;
  // Asked at each stream start: a token file is read again, so a rotated one is used from the
  // next (re)connect on (docs/SECURITY.md "Token rotation").
  copts.token_source = [source = creds->token_source, file = options.token_file] {
    if (source == nullptr) return std::string();
    std::string token = source->Token();
    if (absl::Status e = source->last_error(); !e.ok()) {
      LOG(WARNING) << e.message() << ": sending the last token read from " << file;
    }
    return token;
  };
  if (creds->tls) copts.tls_credentials = creds->channel;
  copts.worker_id = options.worker_id;
  copts.low_water = absl::Seconds(options.buffer_seconds);
  copts.lease_seconds = options.lease_seconds;
  MasterConnection conn(copts);
  SchedulerOptions sopts;
  sopts.target_batch_latency = absl::Milliseconds(options.batch_ms);
  sopts.watchdog.min_timeout = absl::Seconds(options.hang_seconds);
  sopts.watchdog.give_up = absl::Seconds(options.hang_give_up_seconds);
  SchedulerCallbacks hooks = conn.SchedulerHooks();
  // A device lost to hangs ends the worker with kExitDeviceLost, so that its supervisor
  // (systemd Restart=on-failure, Kubernetes) restarts it with a fresh driver state.
  absl::Notification device_lost;
  hooks.on_device_lost = [&device_lost](const std::string& device, const std::string& why) {
    LOG(ERROR) << "device " << device << " lost (" << why << "): returning work and exiting "
               << "with status " << kExitDeviceLost;
    if (!device_lost.HasBeenNotified()) device_lost.Notify();
  };
  // One line per new job: the worker's side of the clean-job switch latency (cluster_bench.sh).
  hooks.on_job_started = [](const std::string& job, const std::string& device, absl::Time at) {
    LOG(INFO) << "job " << job << " first batch on " << device << " at_unix_us "
              << absl::ToUnixMicros(at);
  };
  std::vector<Calibration> calibration = Calibrate(*devices);
  Scheduler sched(*std::move(devices), sopts, std::move(hooks));
  for (size_t i = 0; i < calibration.size(); ++i) {
    sched.AddCalibration(i, calibration[i].hashes, calibration[i].took);
  }
  for (const DeviceStats& d : sched.Stats()) {
    LOG(INFO) << "device " << d.info.name << " (" << DeviceKindName(d.info.kind) << ", "
              << d.info.impl << "): " << absl::StrFormat("%.2f", d.window.rate_hps / 1e6)
              << " MH/s calibrated, batches of " << d.batch_size << " nonces";
  }
  LOG(INFO) << "worker " << conn.WorkerId() << " connecting to master " << options.master << " (token "
            << (options.token_file.empty() ? Redacted(options.token)
                                           : "from " + options.token_file)
            << ")";
  absl::Time start = absl::Now();
  std::unique_ptr<WorkerHttpServer> http;
  if (!options.http_listen.empty()) {
    absl::StatusOr<std::unique_ptr<WorkerHttpServer>> h =
        StartWorkerHttp(options.http_listen, [&sched, &conn, start] {
          absl::Duration buffered = std::min(sched.BufferedTime(), absl::Hours(1));
          return WorkerSnapshot{conn.WorkerId(), absl::ToDoubleSeconds(absl::Now() - start),
                                absl::ToDoubleSeconds(buffered), sched.Stats(), conn.Stats()};
        });
    if (!h.ok()) {
      std::cerr << "synth-worker: --http-listen: " << h.status() << "\n";
      return 2;
    }
    http = *std::move(h);
    LOG(INFO) << "metrics on http://"
              << options.http_listen.substr(0, options.http_listen.rfind(':')) << ":"
              << http->port() << "/metrics";
  }
  sched.Start();
  conn.Start(&sched);
  WaitForStop(signals, options, sched, conn, device_lost);
  if (http != nullptr) http->Shutdown();
  conn.Shutdown(&sched, absl::Seconds(2));
  LogStatus(sched, conn);
  PrintSummary(absl::Now() - start, sched, conn);
  if (device_lost.HasBeenNotified()) {
    // The hung device's thread is stuck for good: leave without unwinding around it.
    google::FlushLogFiles(google::INFO);
    std::cout.flush();
    std::_Exit(kExitDeviceLost);
  }
  return 0;
}

}  // namespace synth::worker
