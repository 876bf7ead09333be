// synthctl: the operator CLI of synth-master's ControlService (docs/SYNTHCTL.md).
//
//   synthctl [--master HOST:PORT] [--token T | --token-file F] [-o table|json] COMMAND
//     status | workers | devices | pools | shares [--limit N] [--summary] | jobs |
//     watch [--interval S] [--count N] | drain WORKER [--undrain] [--requeue] |
//     pool switch URL|INDEX
//   synthctl --master A:4650,B:4650 status    every master of a farm and the cluster total
//
// Exit status: 0 ok; 1 the master failed or refused the operation; 2 usage error; 3 master
// unreachable (within --timeout; with several masters: any of them, the others still shown);
// 4 authentication refused. Tokens are never printed.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/config.h"
#include "common/flags.h"
#include "grpcpp/grpcpp.h"
#include "master/ctl/format.h"
#include "master/ctl/multi_status.h"
#include "proto/client_flags.h"
#include "proto/grpc_credentials.h"
#include "synth/v1/control.grpc.pb.h"

ABSL_FLAG(std::string, master, "127.0.0.1:4650",
          "synth-master control address HOST:PORT; for status, several comma-separated");
ABSL_FLAG(std::string, token, "", "Bearer token (env SYNTH_TOKEN; or --token-file)");
ABSL_FLAG(std::string, output, "table", "Output format: table or json (also -o)");
ABSL_FLAG(bool, json, false, "Same as -o json (kept for old scripts)");
ABSL_FLAG(double, timeout, 5, "Deadline of each call, seconds");
ABSL_FLAG(int, limit, 20, "shares: most recent shares to list");
ABSL_FLAG(bool, summary, false, "shares: only the ledger totals and whether they reconcile");
ABSL_FLAG(double, interval, 2, "watch: seconds between frames");
ABSL_FLAG(int, count, 0, "watch: stop after N frames (0: until interrupted)");
ABSL_FLAG(int, history, 300, "watch: seconds of rate history in the sparkline");
ABSL_FLAG(bool, undrain, false, "drain: resume leasing to the worker instead");
ABSL_FLAG(bool, requeue, false, "drain: also take back its leased units now");

namespace {

constexpr int kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3, kAuth = 4;

constexpr char kUsageText[] =
    "synthctl [--master HOST:PORT] [--token T|--token-file F] [-o table|json] [--timeout S] "
    "COMMAND\n"
    "  status | workers | devices | pools | jobs\n"
    "  shares [--limit N] [--summary]\n"
    "  watch [--interval S] [--count N] [--history S]\n"
    "  drain WORKER [--undrain] [--requeue]\n"
    "  pool switch URL|INDEX";

int Usage(const std::string& why) {
  std::fprintf(stderr, "synthctl: %s\nusage: %s\n", why.c_str(), kUsageText);
  return kUsage;
}

// Returns the first flag of argv that synthctl does not know ("" if none), so that a typo is
// a usage error (exit 2) rather than absl's exit 1.
std::string UnknownFlag(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") break;
    if (a.size() < 2 || a[0] != '-') continue;
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    name = name.substr(0, name.find('='));
    if (absl::FindCommandLineFlag(name) != nullptr) continue;
    if (name == "config" || name.rfind("help", 0) == 0 || name == "version") continue;
    if (name.size() > 5 && name.substr(name.size() - 5) == "_file" &&
        absl::FindCommandLineFlag(name.substr(0, name.size() - 5)) != nullptr) {
      continue;
    }
    if (name.rfind("no", 0) == 0 && absl::FindCommandLineFlag(name.substr(2)) != nullptr) continue;
    return a.substr(0, a.find('='));
  }
  return "";
}

// Maps a failed call to a message on stderr and an exit code.
int Fail(const grpc::Status& s) {
  const std::string master = absl::GetFlag(FLAGS_master);
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      std::fprintf(stderr, "synthctl: master %s unreachable (%s)\n", master.c_str(),
                   s.error_message().c_str());
      return kUnreachable;
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
      std::fprintf(stderr,
                   "synthctl: master %s refused the credentials (token or client certificate): "
                   "%s\n",
                   master.c_str(), s.error_message().c_str());
      return kAuth;
    default:
      std::fprintf(stderr, "synthctl: %s: %s\n", master.c_str(), s.error_message().c_str());
      return kFailed;
  }
}

class Client {
 public:
  Client(std::unique_ptr<synth::v1::ControlService::Stub> stub,
         synth::proto::ClientCredentials creds)
      : stub_(std::move(stub)), creds_(std::move(creds)) {}

  // Calls `method` with a fresh context (deadline, credentials).
  template <typename Req, typename Resp, typename Method>
  grpc::Status Call(Method method, const Req& req, Resp* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(
                         static_cast<int64_t>(absl::GetFlag(FLAGS_timeout) * 1000)));
    ctx.set_wait_for_ready(false);
    creds_.ApplyToContext(&ctx);
    return (stub_.get()->*method)(&ctx, req, resp);
  }

 private:
  std::unique_ptr<synth::v1::ControlService::Stub> stub_;
  synth::proto::ClientCredentials creds_;
};

bool Json() { return absl::GetFlag(FLAGS_json) || absl::GetFlag(FLAGS_output) == "json"; }

template <typename Resp>
int Print(const grpc::Status& status, const Resp& resp, std::string (*format)(const Resp&)) {
  if (!status.ok()) return Fail(status);
  if (Json()) {
    std::printf("%s\n", synth::ctl::ToJson(resp).c_str());
  } else {
    std::printf("%s", format(resp).c_str());
  }
  return kOk;
}

int Watch(Client& c) {
  const bool tty = isatty(STDOUT_FILENO);
  const int count = absl::GetFlag(FLAGS_count);
  for (int frame = 0; count == 0 || frame < count; ++frame) {
    if (frame > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(
          static_cast<int64_t>(absl::GetFlag(FLAGS_interval) * 1000)));
    }
    synth::v1::StatusRequest sreq;
    sreq.set_history_s(absl::GetFlag(FLAGS_history));
    synth::v1::StatusResponse status;
    grpc::Status s = c.Call(&synth::v1::ControlService::Stub::Status, sreq, &status);
    if (!s.ok()) return Fail(s);
    synth::v1::WorkersResponse workers;
    s = c.Call(&synth::v1::ControlService::Stub::Workers, synth::v1::WorkersRequest(), &workers);
    if (!s.ok()) return Fail(s);
    if (Json()) {  // One JSON object per line: {"status":{...},"workers":{...}}.
      std::printf("{\"status\":%s,\"workers\":%s}\n", synth::ctl::ToJson(status).c_str(),
                  synth::ctl::ToJson(workers).c_str());
    } else {
      if (tty) std::printf("\033[H\033[2J");
      std::printf("%s", synth::ctl::FormatWatch(status, workers, 60).c_str());
      if (!tty) std::printf("\n");
    }
    std::fflush(stdout);
  }
  return kOk;
}

// `status` against every master of a comma-separated --master: each one's status (or why it
// did not answer) and the cluster total; exit 0 when all answered, else the worst failure.
int MultiStatus(const std::vector<std::string>& masters,
                const synth::proto::ClientCredentials& creds) {
  std::vector<synth::ctl::MasterStatus> all;
  int rc = kOk;
  for (const std::string& address : masters) {
    Client c(synth::v1::ControlService::NewStub(grpc::CreateChannel(address, creds.channel)),
             creds);
    synth::ctl::MasterStatus m{address, false, "", {}};
    grpc::Status s = c.Call(&synth::v1::ControlService::Stub::Status, synth::v1::StatusRequest(),
                            &m.status);
    m.ok = s.ok();
    if (!s.ok()) {
      bool unreachable = s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                         s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
      bool auth = s.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                  s.error_code() == grpc::StatusCode::PERMISSION_DENIED;
      m.error = absl::StrFormat("%s: %s", unreachable ? "unreachable" : auth ? "refused" : "failed",
                                s.error_message());
      rc = std::max(rc, unreachable ? kUnreachable : auth ? kAuth : kFailed);
    }
    all.push_back(std::move(m));
  }
  std::printf("%s", Json() ? (synth::ctl::MultiStatusJson(all) + "\n").c_str()
                           : synth::ctl::FormatMultiStatus(all).c_str());
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsageText);
  // --help lists this file's flags and the shared TLS flags (proto/client_flags.cc).
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "synthctl.cc") || synth::proto::IsClientFlagsFile(file);
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  // "-o json" / "-o=json" → "--output ...".
  std::vector<std::string> args(argv, argv + argc);
  for (std::string& a : args) {
    if (a == "-o") a = "--output";
    else if (a.rfind("-o=", 0) == 0) a = "--output=" + a.substr(3);
  }
  std::vector<char*> argp;
  for (std::string& a : args) argp.push_back(a.data());
  argp.push_back(nullptr);
  argc = static_cast<int>(args.size());
  argv = argp.data();
  synth::DashesToUnderscores(argc, argv);
  if (std::string bad = UnknownFlag(argc, argv); !bad.empty()) {
    return Usage(absl::StrFormat("unknown flag '%s'", bad));
  }
  std::vector<char*> rest = synth::ParseCommandLineWithConfig(argc, argv);
  std::vector<std::string> pos(rest.begin() + 1, rest.end());
  if (pos.empty()) return Usage("missing command");
  const std::string output = absl::GetFlag(FLAGS_output);
  if (output != "table" && output != "json") return Usage("-o must be table or json");
  const std::string& cmd = pos[0];
  auto want = [&](size_t n) { return pos.size() == n; };
  static const char* kSimple[] = {"status", "workers", "devices", "pools", "jobs", "shares",
                                  "watch"};
  bool simple = false;
  for (const char* s : kSimple) simple |= cmd == s;
  if (simple && !want(1)) return Usage(absl::StrFormat("%s takes no argument", cmd));
  if (cmd == "drain" && !want(2)) return Usage("drain needs one WORKER");
  if (cmd == "pool" && !(pos.size() == 3 && pos[1] == "switch")) {
    return Usage("pool needs: switch URL|INDEX");
  }
  if (!simple && cmd != "drain" && cmd != "pool") {
    return Usage(absl::StrFormat("unknown command '%s'", cmd));
  }

  synth::proto::ClientCredentialOptions creds_options = synth::proto::ClientCredentialFlags();
  creds_options.token = absl::GetFlag(FLAGS_token);
  if (creds_options.token.empty() && creds_options.token_file.empty() &&
      std::getenv("SYNTH_TOKEN") != nullptr) {
    creds_options.token = std::getenv("SYNTH_TOKEN");
  }
  absl::StatusOr<synth::proto::ClientCredentials> creds =
      synth::proto::MakeClientCredentials(creds_options);
  if (!creds.ok()) return Usage(std::string(creds.status().message()));
  std::vector<std::string> masters =
      absl::StrSplit(absl::GetFlag(FLAGS_master), ',', absl::SkipWhitespace());
  if (masters.size() > 1) {
    if (cmd != "status") return Usage("several --master addresses work with status only");
    return MultiStatus(masters, *creds);
  }
  auto channel = grpc::CreateChannel(absl::GetFlag(FLAGS_master), creds->channel);
  Client c(synth::v1::ControlService::NewStub(channel), *creds);
  using Stub = synth::v1::ControlService::Stub;

  if (cmd == "status") {
    synth::v1::StatusRequest req;
    synth::v1::StatusResponse resp;
    return Print(c.Call(&Stub::Status, req, &resp), resp, &synth::ctl::FormatStatus);
  }
  if (cmd == "workers" || cmd == "devices") {
    synth::v1::WorkersResponse resp;
    return Print(c.Call(&Stub::Workers, synth::v1::WorkersRequest(), &resp), resp,
                 cmd == "workers" ? &synth::ctl::FormatWorkers : &synth::ctl::FormatDevices);
  }
  if (cmd == "shares") {
    synth::v1::SharesRequest req;
    const bool summary = absl::GetFlag(FLAGS_summary);
    req.set_limit(summary ? 0 : std::max(0, absl::GetFlag(FLAGS_limit)));
    synth::v1::SharesResponse resp;
    grpc::Status s = c.Call(&Stub::Shares, req, &resp);
    if (!s.ok()) return Fail(s);
    if (summary && Json()) {  // {"totals":{...},"ledger_gap":0,"reconciles":true}
      int64_t gap = synth::ctl::LedgerGap(resp.totals());
      std::printf("{\"totals\":%s,\"ledger_gap\":%lld,\"reconciles\":%s}\n",
                  synth::ctl::ToJson(resp.totals()).c_str(), static_cast<long long>(gap),
                  gap == 0 ? "true" : "false");
      return kOk;
    }
    return Print(s, resp, summary ? &synth::ctl::FormatSharesSummary : &synth::ctl::FormatShares);
  }
  if (cmd == "jobs") {
    synth::v1::JobsResponse resp;
    return Print(c.Call(&Stub::Jobs, synth::v1::JobsRequest(), &resp), resp,
                 &synth::ctl::FormatJobs);
  }
  if (cmd == "pools") {
    synth::v1::PoolsResponse resp;
    return Print(c.Call(&Stub::Pools, synth::v1::PoolsRequest(), &resp), resp,
                 &synth::ctl::FormatPools);
  }
  if (cmd == "watch") return Watch(c);
  if (cmd == "drain") {
    synth::v1::DrainRequest req;
    req.set_worker_id(pos[1]);
    req.set_undrain(absl::GetFlag(FLAGS_undrain));
    req.set_requeue(absl::GetFlag(FLAGS_requeue));
    synth::v1::DrainResponse resp;
    return Print(c.Call(&Stub::Drain, req, &resp), resp, &synth::ctl::FormatDrain);
  }
  // pool switch URL|INDEX
  synth::v1::SwitchPoolRequest req;
  uint32_t index = 0;
  if (absl::SimpleAtoi(pos[2], &index)) {
    req.set_index(index);
  } else {
    req.set_url(pos[2]);
  }
  synth::v1::SwitchPoolResponse resp;
  return Print(c.Call(&Stub::SwitchPool, req, &resp), resp, &synth::ctl::FormatSwitchPool);
}
