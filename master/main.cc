// synth-master: holds the pool connection and leases work to synth-worker daemons over gRPC.
//
//   synth-master [--pool stratum+tcp://HOST:PORT ...] [--user U] [--pass P]
//                [--listen HOST:PORT] [--token T] [--lease-seconds S] [--status-every S]
//                [--max-share-rate N] [--verdict-memory N] [--verdict-memory-seconds S]
//                [--http-listen HOST:PORT]   (monitoring)
//                [--weights W,W,... [--pool-level L,L,...] [--schedule WINDOWS]
//                 [--schedule-tz ZONE]]   (mine several pools at once: docs/CLUSTER.md)
//                [--api-listen HOST:PORT] [--api-allow W:CIDR,...]   (cgminer API for farm tools)
//                [--stratum-listen HOST:PORT [--stratum-allow CIDR,...]
//                 [--stratum-password-file F] ...]  (a Stratum port for other miners)
//
// Defaults find synth-pool (127.0.0.1:3333) and let synth-worker (default --master
// 127.0.0.1:4650) find the master, all on loopback. --pool may be repeated (failover order;
// with --weights, --pool-level or --schedule every pool has its own session and the work is
// split among them).
// The token also comes from SYNTH_TOKEN, or --token-file (every token listed is accepted; the
// file is re-read on SIGHUP and when it changes); without one only loopback workers are accepted.
// Flags may be spelled with dashes or underscores. The Stratum port (docs/HUB.md) is off unless
// --stratum-listen is given.
#include <pthread.h>
#include <sys/resource.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "common/config.h"
#include "common/flags.h"
#include "common/logging.h"
#include "master/api/cluster_backend.h"
#include "master/api/server.h"
#include "master/service/cluster.h"
#include "master/service/status_views.h"
#include "master/service/server.h"
#include "master/service/stratum_upstream.h"
#include "master/service/token_watch.h"
#include "master/http/master_histograms.h"
#include "master/http/master_http.h"
#include "master/hub/hub.h"
#include "master/jobs/split_upstream.h"
#include "master/lease/pool_split.h"

ABSL_FLAG(std::vector<std::string>, pool, {"stratum+tcp://127.0.0.1:3333"},
          "Pool URL(s), stratum+tcp://HOST:PORT; repeat or comma-separate for failover");
ABSL_FLAG(std::string, weights, "",
          "Mine every --pool at once, splitting the hashes by these weights, one per pool "
          "('70,30'; docs/CLUSTER.md \"Pool split\"); '' = the pools are a failover list");
ABSL_FLAG(std::string, pool_level, "",
          "Fallback level of each --pool ('0,0,1'): the lowest level with a live pool gets all "
          "the work, split by weight");
ABSL_FLAG(std::string, schedule, "",
          "Time windows with other weights, ';'-separated: '[DAYS] HH:MM-HH:MM weights=W,W "
          "[tz=Area/City]' (e.g. 'Mon-Fri 08:00-20:00 weights=0,100 tz=Europe/Berlin')");
ABSL_FLAG(std::string, schedule_tz, "",
          "Time zone of --schedule windows without tz= (e.g. Europe/Berlin, UTC)");
ABSL_FLAG(double, pool_stall_timeout, 90.0,
          "Seconds without any byte from the pool before the connection counts as dead "
          "(reconnect, fail over)");
ABSL_FLAG(double, pool_submit_timeout, 30.0,
          "Seconds a share submit may go unanswered before the connection counts as dead");
ABSL_FLAG(double, pool_return_seconds, 30.0,
          "Seconds on a backup pool before probing the preferred one again (the hold doubles "
          "while the preferred pool flaps, up to 15 minutes)");
ABSL_FLAG(std::string, user, "synth", "Pool user (worker name)");
ABSL_FLAG(std::string, pass, "x", "Pool password (never logged)");
ABSL_FLAG(std::string, listen, "127.0.0.1:4650", "Address for workers and synthctl");
ABSL_FLAG(std::string, token, "", "Bearer token workers/synthctl must send (env SYNTH_TOKEN)");
ABSL_FLAG(std::string, token_file, "",
          "File of accepted tokens, one per line, re-read on SIGHUP and when it changes, so "
          "tokens rotate without a restart (env SYNTH_TOKEN_FILE; docs/SECURITY.md)");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate (chain) for TLS on --listen (with --tls-key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA for client certificates: mTLS, every peer must present one it signed");
ABSL_FLAG(bool, insecure, false,
          "Allow a non-loopback --listen without token or mTLS (anyone may connect)");
ABSL_FLAG(double, lease_seconds, 5.0, "Seconds of work per lease at each worker's rate");
ABSL_FLAG(double, lease_expiry_seconds, 30.0, "Unreported leased units are re-queued after this");
ABSL_FLAG(double, status_every, 10.0, "Seconds between status lines in the log (0: none)");
ABSL_FLAG(double, max_share_rate, 1000,
          "Share flood limit per worker, shares/s: shares beyond it are counted rate_limited, not "
          "verified (a worker's limit grows with its plausible share rate, up to 64x this; "
          "0: no limit)");
ABSL_FLAG(int64_t, verdict_memory, 100000,
          "Verdicts of recent shares kept so that a share a worker sends again after a reconnect "
          "gets its first verdict instead of being judged again (at most this many shares)");
ABSL_FLAG(double, verdict_memory_seconds, 600,
          "...and for at most this many seconds after the verdict");
ABSL_FLAG(std::string, http_listen, synth::http::kDefaultMasterHttpListen,
          "Monitoring HTTP HOST:PORT (/metrics, /healthz, dashboard); '' = off");
ABSL_FLAG(std::string, api_listen, "",
          "cgminer-compatible API HOST:PORT for farm tools (cgminer's port is 4028); '' = off");
ABSL_FLAG(std::string, api_allow, "",
          "cgminer --api-allow list: W:CIDR may also switch pools, R:CIDR or CIDR may read "
          "(docs/MONITORING.md)");
ABSL_FLAG(std::string, stratum_listen, "",
          "Stratum V1 port for ASICs and other miners, HOST:PORT ('' = off; docs/HUB.md)");
ABSL_FLAG(std::string, stratum_allow, synth::hub::kDefaultAllow,
          "Networks that may connect to --stratum-listen, CIDR[,CIDR]");
ABSL_FLAG(std::string, stratum_password_file, "",
          "File holding the password Stratum miners must send (empty: any password)");
ABSL_FLAG(int, stratum_max_connections, 10000, "Most Stratum miners connected at once");
ABSL_FLAG(double, stratum_share_rate, 20, "Vardiff target: shares a minute per Stratum miner");
ABSL_FLAG(double, stratum_difficulty, 0, "A new Stratum miner's difficulty (0: the pool's)");
ABSL_FLAG(double, stratum_min_difficulty, 0.0001, "The lowest difficulty vardiff sends");

namespace {

// absl flags take comma lists; accept repeated --pool X (after DashesToUnderscores).
std::vector<char*> Normalize(int argc, char** argv, std::vector<std::string>* storage) {
  std::vector<std::string> pools;
  storage->reserve(argc + 1);
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && arg.rfind("--", 0) == 0) {
      if (arg == "--pool" && i + 1 < argc) {
        pools.push_back(argv[++i]);
        continue;
      }
      if (absl::StartsWith(arg, "--pool=")) {
        pools.push_back(arg.substr(7));
        continue;
      }
    }
    args.push_back(arg);
  }
  if (!pools.empty()) args.push_back("--pool=" + absl::StrJoin(pools, ","));
  std::vector<char*> out;
  for (std::string& a : args) {
    storage->push_back(std::move(a));
    out.push_back(storage->back().data());
  }
  return out;
}

// Returns the downstream port's options from the flags; INVALID_ARGUMENT naming the bad one.
absl::StatusOr<synth::hub::HubOptions> HubOptionsFromFlags() {
  synth::hub::HubOptions o;
  o.listen = absl::GetFlag(FLAGS_stratum_listen);
  absl::StatusOr<synth::hub::AllowList> allow =
      synth::hub::AllowList::Parse(absl::GetFlag(FLAGS_stratum_allow));
  if (!allow.ok()) return allow.status();
  o.allow = *std::move(allow);
  if (std::string f = absl::GetFlag(FLAGS_stratum_password_file); !f.empty()) {
    absl::StatusOr<std::string> password = synth::ReadSecretFile(f, "--stratum-password-file");
    if (!password.ok()) return password.status();
    o.password = *std::move(password);
  }
  int max = absl::GetFlag(FLAGS_stratum_max_connections);
  double rate = absl::GetFlag(FLAGS_stratum_share_rate);
  double start = absl::GetFlag(FLAGS_stratum_difficulty);
  double floor = absl::GetFlag(FLAGS_stratum_min_difficulty);
  if (max < 1 || !(rate > 0) || !std::isfinite(rate) || !(start >= 0) || !std::isfinite(start) ||
      !(floor > 0) || !std::isfinite(floor)) {
    return absl::InvalidArgumentError(
        "--stratum-max-connections, --stratum-share-rate and --stratum-min-difficulty must be "
        "> 0 and --stratum-difficulty >= 0");
  }
  o.max_connections = static_cast<size_t>(max);
  o.vardiff.target_per_min = rate;
  o.vardiff.floor = floor;
  o.start_difficulty = start;
  return o;
}

// Returns the upstream: one session per pool with a split (each pool its own failover list of
// one), else the failover list of every pool.
absl::StatusOr<std::unique_ptr<synth::jobs::Upstream>> MakeUpstream(
    const std::vector<synth::service::PoolConfig>& pools, bool split,
    const synth::service::PoolTimeouts& timeouts) {
  if (!split) return synth::service::MakeStratumUpstream(pools, timeouts);
  std::vector<std::unique_ptr<synth::jobs::Upstream>> each;
  for (const synth::service::PoolConfig& p : pools) {
    absl::StatusOr<std::unique_ptr<synth::jobs::Upstream>> up =
        synth::service::MakeStratumUpstream({p}, timeouts);
    if (!up.ok()) return up.status();
    each.push_back(*std::move(up));
  }
  return std::make_unique<synth::jobs::SplitUpstream>(std::move(each));
}

// Raises the open-file limit to the hard limit: each Stratum miner holds a descriptor.
void RaiseFileLimit(size_t wanted) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  if (r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
  if (r.rlim_cur < wanted + 256) {
    LOG(WARNING) << "open-file limit " << r.rlim_cur << " is below --stratum-max-connections "
                 << wanted << " plus the master's own (raise `ulimit -n`)";
  }
}

}  // namespace

int main(int argc, char** argv) {
  // SIGINT/SIGTERM (stop) and SIGHUP (re-read --token-file) are blocked in every thread (gRPC's
  // included) and taken by sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  absl::SetProgramUsageMessage(
      "synth-master --pool stratum+tcp://HOST:PORT --user U --pass P "
      "--listen HOST:PORT");
  synth::DashesToUnderscores(argc, argv);
  std::vector<std::string> storage;
  std::vector<char*> args = Normalize(argc, argv, &storage);
  synth::ParseCommandLineWithConfig(static_cast<int>(args.size()), args.data());
  synth::InitLogging(argv[0]);
  const double max_share_rate = absl::GetFlag(FLAGS_max_share_rate);
  if (!std::isfinite(max_share_rate) || max_share_rate < 0) {
    LOG(ERROR) << "--max-share-rate must be a finite number >= 0 (0: no limit), got "
               << max_share_rate;
    return 2;
  }

  const int64_t verdict_memory = absl::GetFlag(FLAGS_verdict_memory);
  const double verdict_seconds = absl::GetFlag(FLAGS_verdict_memory_seconds);
  if (verdict_memory < 0 || !std::isfinite(verdict_seconds) || verdict_seconds < 0) {
    LOG(ERROR) << "--verdict-memory and --verdict-memory-seconds must be >= 0, got "
               << verdict_memory << " and " << verdict_seconds;
    return 2;
  }

  std::string token = absl::GetFlag(FLAGS_token);
  const std::string token_file = absl::GetFlag(FLAGS_token_file);
  if (!token.empty() && !token_file.empty()) {
    LOG(ERROR) << "give --token or --token-file, not both";
    return 2;
  }
  if (token.empty() && token_file.empty() && std::getenv("SYNTH_TOKEN") != nullptr) {
    token = std::getenv("SYNTH_TOKEN");
  }
  std::unique_ptr<synth::service::TokenWatch> token_watch;
  if (!token_file.empty()) {
    absl::StatusOr<std::unique_ptr<synth::service::TokenWatch>> w =
        synth::service::TokenWatch::Start(token_file);
    if (!w.ok()) {
      LOG(ERROR) << w.status().message();
      return 2;
    }
    token_watch = *std::move(w);
  }
  std::string listen = absl::GetFlag(FLAGS_listen);

  std::vector<synth::service::PoolConfig> pools;
  for (const std::string& url : absl::GetFlag(FLAGS_pool)) {
    pools.push_back({url, absl::GetFlag(FLAGS_user), absl::GetFlag(FLAGS_pass)});
  }
  absl::StatusOr<std::optional<synth::lease::PoolSplitConfig>> split =
      synth::lease::ParseSplitFlags({absl::GetFlag(FLAGS_weights), absl::GetFlag(FLAGS_pool_level),
                                     absl::GetFlag(FLAGS_schedule),
                                     absl::GetFlag(FLAGS_schedule_tz)},
                                    pools.size());
  if (!split.ok()) {
    LOG(ERROR) << split.status();
    return 2;
  }
  absl::StatusOr<std::unique_ptr<synth::jobs::Upstream>> upstream =
      MakeUpstream(pools, split->has_value(),
                   {absl::Seconds(absl::GetFlag(FLAGS_pool_stall_timeout)),
                    absl::Seconds(absl::GetFlag(FLAGS_pool_submit_timeout)),
                    absl::Seconds(absl::GetFlag(FLAGS_pool_return_seconds))});
  if (!upstream.ok()) {
    LOG(ERROR) << "pool: " << upstream.status();
    return 2;
  }

  std::optional<synth::hub::HubOptions> hub_options;
  if (!absl::GetFlag(FLAGS_stratum_listen).empty()) {
    absl::StatusOr<synth::hub::HubOptions> o = HubOptionsFromFlags();
    if (!o.ok()) {
      LOG(ERROR) << o.status();
      return 2;
    }
    hub_options = *std::move(o);
    RaiseFileLimit(hub_options->max_connections);
  }

  synth::RealClock clock;
  synth::service::Cluster::Options options;
  if (hub_options) options.jobs.downstream_slots = hub_options->max_connections;
  options.lease.lease_duration = absl::Seconds(absl::GetFlag(FLAGS_lease_seconds));
  options.lease.expiry = absl::Seconds(absl::GetFlag(FLAGS_lease_expiry_seconds));
  options.status_every = absl::Seconds(absl::GetFlag(FLAGS_status_every));
  options.split = *std::move(split);
  options.ledger.max_share_rate = max_share_rate;
  options.ledger.remember_shares = static_cast<size_t>(verdict_memory);
  options.ledger.remember_for = absl::Seconds(verdict_seconds);
  synth::http::MasterHistograms histograms;  // Outlives the Cluster and the HTTP server.
  options.on_lease_granted = [&](double s) { histograms.lease_duration().Observe(s); };
  options.on_clean_job_switched = [&](double s) { histograms.job_switch().Observe(s); };
  synth::service::Cluster cluster(options, &clock, upstream->get());

  synth::service::MasterServer::Options server_options;
  server_options.listen = listen;
  server_options.auth.token = token;
  if (token_watch) server_options.auth.tokens = token_watch->tokens();
  server_options.auth.insecure = absl::GetFlag(FLAGS_insecure);
  server_options.tls = {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                        absl::GetFlag(FLAGS_tls_client_ca)};
  absl::StatusOr<std::unique_ptr<synth::service::MasterServer>> server =
      synth::service::MasterServer::Start(server_options, &cluster);
  if (!server.ok()) {
    LOG(ERROR) << server.status();
    return 2;
  }
  std::unique_ptr<synth::http::MasterHttpServer> http;
  if (!absl::GetFlag(FLAGS_http_listen).empty()) {
    synth::http::HttpOptions hopts;
    hopts.listen = absl::GetFlag(FLAGS_http_listen);
    hopts.histograms = &histograms;
    absl::StatusOr<std::unique_ptr<synth::http::MasterHttpServer>> h =
        synth::http::StartMasterHttp(hopts, synth::http::ClusterSnapshotFn(&cluster));
    if (h.ok()) {
      http = *std::move(h);
      LOG(INFO) << "monitoring on http://" << hopts.listen << " (port " << http->port() << ")";
    } else if (hopts.listen == synth::http::kDefaultMasterHttpListen) {
      // The default address may be taken by another master on this host: mine on, unmonitored.
      LOG(WARNING) << "monitoring off: " << h.status() << " (set --http-listen to choose)";
    } else {
      LOG(ERROR) << "monitoring: " << h.status();
      return 2;
    }
  }
  std::unique_ptr<synth::api::ApiServer> api;
  if (!absl::GetFlag(FLAGS_api_listen).empty()) {
    absl::StatusOr<std::unique_ptr<synth::api::ApiServer>> a = synth::api::ApiServer::Start(
        {.listen = absl::GetFlag(FLAGS_api_listen), .allow = absl::GetFlag(FLAGS_api_allow),
         .pool_user = absl::GetFlag(FLAGS_user)},
        synth::api::ClusterApiBackend(&cluster, (*server)->pools()));
    if (!a.ok()) {
      LOG(ERROR) << a.status();
      return 2;
    }
    api = *std::move(a);
    LOG(INFO) << "cgminer API on " << absl::GetFlag(FLAGS_api_listen) << " (port " << api->port()
              << ")";
  }
  LOG(INFO) << "synth-master listening on " << listen << " (port " << (*server)->port()
            << "), token " << (token_file.empty() ? synth::Redacted(token) : "file " + token_file)
            << ", pools " << pools.size() << ", user "
            << absl::GetFlag(FLAGS_user) << " pass " << synth::Redacted(absl::GetFlag(FLAGS_pass));
  const bool tls = !server_options.tls.cert_file.empty();
  const bool mtls = !server_options.tls.client_ca_file.empty();
  LOG(INFO) << "gRPC " << (mtls ? "mTLS" : tls ? "TLS" : "plaintext");
  const bool has_token = server_options.auth.has_token();
  if (server_options.auth.insecure && !has_token && !mtls) {
    LOG(WARNING) << "--insecure: accepting unauthenticated peers from anywhere";
  } else if (!has_token && !mtls) {
    LOG(INFO) << "no token: accepting loopback workers only";
  }
  if (!tls && has_token && !synth::service::IsLoopbackListenAddress(listen)) {
    LOG(WARNING) << "the token travels in plaintext on " << listen
                 << ": use --tls-cert/--tls-key (docs/SECURITY.md)";
  }

  std::unique_ptr<synth::hub::StratumHub> hub;
  if (hub_options) {
    absl::StatusOr<std::unique_ptr<synth::hub::StratumHub>> h =
        synth::hub::StratumHub::Start(*hub_options, &cluster.sources());
    if (!h.ok()) {
      LOG(ERROR) << h.status();
      return 2;
    }
    hub = *std::move(h);
  }

  (*upstream)->Start([&cluster](const synth::jobs::UpstreamJob& job) { cluster.OnJob(job); });
  cluster.StartTicker();
  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    if (token_watch) {
      absl::StatusOr<synth::service::TokenReload> r = token_watch->Reload("SIGHUP");
      if (r.ok() && !r->changed) {
        LOG(INFO) << "token file " << token_file << " (SIGHUP): unchanged, " << r->tokens
                  << " token(s) accepted";
      }
    } else {
      LOG(INFO) << "SIGHUP: no --token-file to re-read";
    }
  }

  LOG(INFO) << "stopping: " << synth::service::StatusLine(cluster);
  cluster.StopTicker();
  if (http) http->Shutdown();
  if (hub) hub->Shutdown();  // client.reconnect to every miner.
  if (api) api->Shutdown();
  cluster.Shutdown();
  (*server)->Shutdown();
  (*upstream)->Stop();
  if (token_watch) token_watch->Stop();
  return 0;
}
