#include "master/service/server.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace synth::service {

MasterServer::MasterServer(Cluster* cluster, const AuthPolicy& auth,
                           const WorkerServiceImpl::Options& worker_stream)
    : worker_service_(cluster, auth, worker_stream), control_service_(cluster, auth) {}

MasterServer::~MasterServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<MasterServer>> MasterServer::Start(const std::string& listen,
                                                                  Cluster* cluster,
                                                                  const std::string& token) {
  Options options;
  options.listen = listen;
  options.auth.token = token;
  return Start(std::move(options), cluster);
}

absl::StatusOr<std::unique_ptr<MasterServer>> MasterServer::Start(Options options,
                                                                  Cluster* cluster) {
  const std::string& listen = options.listen;
  options.auth.mtls = !options.tls.client_ca_file.empty();
  if (absl::Status policy = CheckListenPolicy(listen, options.auth); !policy.ok()) return policy;
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds =
      proto::MakeServerCredentials(options.tls);
  if (!creds.ok()) return creds.status();
  std::unique_ptr<MasterServer> s(new MasterServer(cluster, options.auth, options.worker_stream));
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, *creds, &s->port_);
  builder.RegisterService(&s->worker_service_);
  builder.RegisterService(&s->control_service_);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);  // 0: no GOAWAY for pings.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  builder.SetMaxReceiveMessageSize(4 << 20);  // Worker messages are small; bound them.
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  return s;
}

void MasterServer::Shutdown() {
  if (server_ == nullptr) return;
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_.reset();
}

}  // namespace synth::service
