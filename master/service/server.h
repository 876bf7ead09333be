// File: master/service/server.h
//
// Builds the master's gRPC server: WorkerService and ControlService on one listen address, with
// the keepalive settings of docs/CLUSTER.md (docs/DESIGN.md §8): the master pings idle connections
// every 20 s (10 s timeout) and tolerates client pings down to every 5 s, so workers may ping
// every 10 s without being sent GOAWAY too_many_pings.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<MasterServer> server,
//                    MasterServer::Start("127.0.0.1:4650", &cluster, token));
//   ... server->port() ...
//   server->Shutdown();
#ifndef SYNTH_MASTER_SERVICE_SERVER_H_
#define SYNTH_MASTER_SERVICE_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "master/service/cluster.h"
#include "master/service/control_service.h"
#include "master/service/worker_service.h"
#include "proto/grpc_credentials.h"

namespace synth::service {

class MasterServer {
 public:
  struct Options {
    std::string listen = "127.0.0.1:4650";
    AuthPolicy auth;                      // .mtls is set from tls.client_ca_file.
    proto::ServerCredentialOptions tls;   // Empty: plaintext.
    WorkerServiceImpl::Options worker_stream;  // The write-queue bound per worker stream.
  };
  // Listens as `options` says. FAILED_PRECONDITION when the address is reachable from other
  // hosts without auth (auth.h CheckListenPolicy), INVALID_ARGUMENT for bad TLS files,
  // UNAVAILABLE when it cannot bind.
  static absl::StatusOr<std::unique_ptr<MasterServer>> Start(Options options, Cluster* cluster);
  // Listens on `listen` ("HOST:PORT"; port 0 picks a free one). UNAVAILABLE when it cannot bind.
  static absl::StatusOr<std::unique_ptr<MasterServer>> Start(const std::string& listen,
                                                             Cluster* cluster,
                                                             const std::string& token);
  ~MasterServer();

  int port() const { return port_; }
  // The pool list and switch that synthctl uses, for other operator surfaces (the cgminer API)
  // so that every switch is counted once. Lives as long as this server.
  PoolControl* pools() { return control_service_.pools(); }
  // Stops accepting, ends open streams (deadline 1 s) and waits for the handlers.
  void Shutdown();

 private:
  MasterServer(Cluster* cluster, const AuthPolicy& auth,
               const WorkerServiceImpl::Options& worker_stream);

  WorkerServiceImpl worker_service_;
  ControlServiceImpl control_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_SERVER_H_
