// synth-pool: a local Stratum V1 pool for demos and tests (see server.h).
//
//   synth-pool --listen 127.0.0.1:3333 --difficulty 0.01 --job-interval 30 --stats-json s.json
//   synth-pool --fault drop --fault-every 10     # drop every connection every 10 s
//   synth-pool --sv2-listen 127.0.0.1:3336       # Stratum V2 too; logs its stratum2+tcp:// URL
//
// SIGINT/SIGTERM: clean exit, final stats written.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/config.h"
#include "common/flags.h"
#include "common/logging.h"
#include "master/pool/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:3333", "HOST:PORT to listen on (port 0: ephemeral)");
ABSL_FLAG(double, difficulty, 1.0, "Share difficulty (fractional allowed)");
ABSL_FLAG(double, job_interval, 30, "Seconds between jobs (0: one job only)");
ABSL_FLAG(int, clean_every, 1, "Every Nth job has clean_jobs=true (0: never)");
ABSL_FLAG(std::string, version_mask, "1fffe000", "Version-rolling mask offered (hex; 0 refuses)");
ABSL_FLAG(int, extranonce2_size, 4, "extranonce2 bytes (1..8)");
ABSL_FLAG(std::string, password, "", "Required mining.authorize password (empty: any)");
ABSL_FLAG(std::string, extranonce_subscribe, "answer",
          "mining.extranonce.subscribe: answer; ckpool (ignored before a successful authorize, "
          "as ckpool does); ignore (never answered)");
ABSL_FLAG(std::string, stats_json, "", "Write counters to this file every second and at exit");
ABSL_FLAG(std::string, fault, "",
          "Fault mode for tests: drop, garbage, oversize, stall, extranonce, reconnect, reject");
ABSL_FLAG(double, fault_every, 10, "Seconds between fault injections");
ABSL_FLAG(std::string, reconnect_to, "", "HOST:PORT sent by --fault reconnect (default: self)");
ABSL_FLAG(std::string, port_file, "", "Write the bound port here (for scripts using port 0)");
ABSL_FLAG(std::string, sv2_listen, "", "Also serve Stratum V2 on HOST:PORT (port 0: ephemeral)");
ABSL_FLAG(std::string, sv2_authority_key_file, "synth-pool-sv2-authority.key",
          "SV2 authority secret key; created (mode 0600) when missing");

namespace {

bool SplitHostPort(const std::string& s, std::string* host, int* port) {
  std::vector<std::string> parts = absl::StrSplit(s, absl::MaxSplits(':', 1));
  return parts.size() == 2 && !parts[0].empty() && absl::SimpleAtoi(parts[1], port) && *port >= 0 &&
         *port <= 65535 && (*host = parts[0], true);
}

void InjectFault(synth::pool::PoolServer& pool, const std::string& fault, int n) {
  if (fault == "drop") pool.DropAll();
  if (fault == "garbage") pool.SendGarbage();
  if (fault == "oversize") pool.SendOversize();
  if (fault == "stall") pool.SetStall(n % 2 == 0);
  if (fault == "extranonce") pool.ChangeExtranonce();
  if (fault == "reject") pool.SetRejectAll(n % 2 == 0 ? 23 : 0);
  if (fault == "reconnect") {
    std::string host = "127.0.0.1";
    int port = pool.port();
    if (!absl::GetFlag(FLAGS_reconnect_to).empty()) {
      SplitHostPort(absl::GetFlag(FLAGS_reconnect_to), &host, &port);
    }
    pool.SendReconnect(host, port, 0);
  }
  LOG(INFO) << "synth-pool: injected fault " << fault;
}

}  // namespace

int main(int argc, char** argv) {
  synth::DashesToUnderscores(argc, argv);
  synth::ParseCommandLineWithConfig(argc, argv);
  synth::InitLogging(argv[0]);
  synth::pool::PoolOptions o;
  if (!SplitHostPort(absl::GetFlag(FLAGS_listen), &o.listen_host, &o.listen_port)) {
    LOG(ERROR) << "--listen must be HOST:PORT";
    return 2;
  }
  o.difficulty = absl::GetFlag(FLAGS_difficulty);
  o.job_interval_s = absl::GetFlag(FLAGS_job_interval);
  o.clean_every = absl::GetFlag(FLAGS_clean_every);
  if (!absl::SimpleHexAtoi(absl::GetFlag(FLAGS_version_mask), &o.version_mask)) {
    LOG(ERROR) << "--version_mask must be hex";
    return 2;
  }
  o.extranonce2_size = absl::GetFlag(FLAGS_extranonce2_size);
  o.password = absl::GetFlag(FLAGS_password);
  const std::string en_mode = absl::GetFlag(FLAGS_extranonce_subscribe);
  if (en_mode == "answer") {
    o.extranonce_subscribe = synth::pool::ExtranonceSubscribeMode::kAnswer;
  } else if (en_mode == "ckpool") {
    o.extranonce_subscribe = synth::pool::ExtranonceSubscribeMode::kAfterAuthorize;
  } else if (en_mode == "ignore") {
    o.extranonce_subscribe = synth::pool::ExtranonceSubscribeMode::kIgnore;
  } else {
    LOG(ERROR) << "--extranonce_subscribe must be answer, ckpool or ignore, got '" << en_mode
               << "'";
    return 2;
  }
  o.stats_json = absl::GetFlag(FLAGS_stats_json);
  if (!absl::GetFlag(FLAGS_sv2_listen).empty()) {
    if (!SplitHostPort(absl::GetFlag(FLAGS_sv2_listen), &o.sv2.listen_host, &o.sv2.listen_port)) {
      LOG(ERROR) << "--sv2_listen must be HOST:PORT";
      return 2;
    }
    o.sv2.authority_key_file = absl::GetFlag(FLAGS_sv2_authority_key_file);
  }
  const std::string fault = absl::GetFlag(FLAGS_fault);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // Threads started below inherit the mask.

  absl::StatusOr<std::unique_ptr<synth::pool::PoolServer>> pool = synth::pool::PoolServer::Start(o);
  if (!pool.ok()) {
    LOG(ERROR) << pool.status();
    return 1;
  }
  if (!absl::GetFlag(FLAGS_port_file).empty()) {
    FILE* f = std::fopen(absl::GetFlag(FLAGS_port_file).c_str(), "w");
    if (f != nullptr) {
      std::fprintf(f, "%d\n", (*pool)->port());
      std::fclose(f);
    }
  }
  std::thread faults;
  std::atomic<bool> done{false};
  if (!fault.empty()) {
    faults = std::thread([&] {
      auto period = std::chrono::milliseconds(
          static_cast<int64_t>(absl::GetFlag(FLAGS_fault_every) * 1000));
      auto next = std::chrono::steady_clock::now() + period;
      for (int n = 0; !done.load(); ++n) {
        while (!done.load() && std::chrono::steady_clock::now() < next) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        if (done.load()) break;
        InjectFault(**pool, fault, n);
        next += period;
      }
    });
  }
  int sig = 0;
  sigwait(&signals, &sig);
  LOG(INFO) << "synth-pool: signal " << sig << ", stopping";
  done = true;
  if (faults.joinable()) faults.join();
  (*pool)->Stop();
  std::printf("%s\n", (*pool)->StatsJson().c_str());
  return 0;
}
