// synthctl: asks a running synth-master how the cluster is doing (minimal: the full CLI is a
// later issue).
//
//   synthctl [--master 127.0.0.1:4650] [--token T] [--json] status|workers|shares
//
// The token also comes from SYNTH_TOKEN. Every call has a 5 s deadline. Exit status: 0 on
// success, 1 when the master cannot be reached or refuses, 2 on bad usage.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "common/config.h"
#include "common/flags.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "master/ctl/format.h"
#include "proto/grpc_credentials.h"
#include "synth/v1/control.grpc.pb.h"

ABSL_FLAG(std::string, master, "127.0.0.1:4650", "synth-master address HOST:PORT");
ABSL_FLAG(std::string, token, "", "Bearer token (env SYNTH_TOKEN)");
ABSL_FLAG(std::string, tls_ca, "", "PEM CA of the master's certificate: use TLS");
ABSL_FLAG(std::string, tls_cert, "", "PEM client certificate for mTLS (with --tls-key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls-cert");
ABSL_FLAG(bool, json, false, "Print the response as JSON");

namespace {

template <typename Response>
int Print(const grpc::Status& status, const Response& resp,
          std::string (*format)(const Response&)) {
  if (!status.ok()) {
    std::fprintf(stderr, "synthctl: %s: %s\n", absl::GetFlag(FLAGS_master).c_str(),
                 status.error_message().c_str());
    return 1;
  }
  if (absl::GetFlag(FLAGS_json)) {
    std::string out;
    google::protobuf::util::JsonPrintOptions opts;
    opts.always_print_primitive_fields = true;
    (void)google::protobuf::util::MessageToJsonString(resp, &out, opts);
    std::printf("%s\n", out.c_str());
  } else {
    std::printf("%s", format(resp).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("synthctl [--master HOST:PORT] [--token T] status|workers|shares");
  synth::DashesToUnderscores(argc, argv);
  std::vector<char*> rest = synth::ParseCommandLineWithConfig(argc, argv);
  std::string command = rest.size() > 1 ? rest[1] : "status";
  std::string token = absl::GetFlag(FLAGS_token);
  if (token.empty() && std::getenv("SYNTH_TOKEN") != nullptr) token = std::getenv("SYNTH_TOKEN");

  absl::StatusOr<synth::proto::ClientCredentials> creds = synth::proto::MakeClientCredentials(
      {token, absl::GetFlag(FLAGS_tls_ca), absl::GetFlag(FLAGS_tls_cert),
       absl::GetFlag(FLAGS_tls_key)});
  if (!creds.ok()) {
    std::fprintf(stderr, "synthctl: %s\n", std::string(creds.status().message()).c_str());
    return 2;
  }
  auto stub = synth::v1::ControlService::NewStub(
      grpc::CreateChannel(absl::GetFlag(FLAGS_master), creds->channel));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  creds->ApplyToContext(&ctx);

  if (command == "status") {
    synth::v1::StatusResponse resp;
    grpc::Status s = stub->Status(&ctx, synth::v1::StatusRequest(), &resp);
    return Print(s, resp, &synth::ctl::FormatStatus);
  }
  if (command == "workers") {
    synth::v1::WorkersResponse resp;
    grpc::Status s = stub->Workers(&ctx, synth::v1::WorkersRequest(), &resp);
    return Print(s, resp, &synth::ctl::FormatWorkers);
  }
  if (command == "shares") {
    synth::v1::SharesResponse resp;
    grpc::Status s = stub->Shares(&ctx, synth::v1::SharesRequest(), &resp);
    return Print(s, resp, &synth::ctl::FormatShares);
  }
  std::fprintf(stderr, "synthctl: unknown command '%s' (status, workers, shares)\n",
               command.c_str());
  return 2;
}
