// File: master/service/control_service.h
//
// ControlService on the gRPC callback API (proto/synth/v1/control.proto): the queries (Status,
// Workers, Shares, Jobs) are answered from the Cluster's views (status_views.h), Pools and
// SwitchPool by a PoolControl over the Cluster's upstream, Drain by the Cluster; the operations
// only change Cluster state or queue work on the upstream's thread; nothing blocks
// on I/O. Every call gets the same token check as WorkerService first (UNAUTHENTICATED and
// nothing else on failure); Cluster errors go back as their gRPC codes (proto/status_convert.h).
//
//   ControlServiceImpl control(&cluster, AuthPolicy{.token = token});
//   builder.RegisterService(&control);
//
// Thread-safe.
#ifndef SYNTH_MASTER_SERVICE_CONTROL_SERVICE_H_
#define SYNTH_MASTER_SERVICE_CONTROL_SERVICE_H_

#include <string>

#include "grpcpp/grpcpp.h"
#include "master/service/auth.h"
#include "master/service/cluster.h"
#include "master/service/pool_control.h"
#include "synth/v1/control.grpc.pb.h"

namespace synth::service {

class ControlServiceImpl final : public v1::ControlService::CallbackService {
 public:
  ControlServiceImpl(Cluster* cluster, AuthPolicy auth);

  grpc::ServerUnaryReactor* Status(grpc::CallbackServerContext* ctx, const v1::StatusRequest* req,
                                   v1::StatusResponse* resp) override;
  grpc::ServerUnaryReactor* Workers(grpc::CallbackServerContext* ctx, const v1::WorkersRequest* req,
                                    v1::WorkersResponse* resp) override;
  grpc::ServerUnaryReactor* Shares(grpc::CallbackServerContext* ctx, const v1::SharesRequest* req,
                                   v1::SharesResponse* resp) override;
  grpc::ServerUnaryReactor* Jobs(grpc::CallbackServerContext* ctx, const v1::JobsRequest* req,
                                 v1::JobsResponse* resp) override;
  grpc::ServerUnaryReactor* Pools(grpc::CallbackServerContext* ctx, const v1::PoolsRequest* req,
                                  v1::PoolsResponse* resp) override;
  grpc::ServerUnaryReactor* Drain(grpc::CallbackServerContext* ctx, const v1::DrainRequest* req,
                                  v1::DrainResponse* resp) override;
  grpc::ServerUnaryReactor* SwitchPool(grpc::CallbackServerContext* ctx,
                                       const v1::SwitchPoolRequest* req,
                                       v1::SwitchPoolResponse* resp) override;

  // The PoolControl behind Pools and SwitchPool (thread-safe), for other operator surfaces.
  PoolControl* pools() { return &pools_; }

 private:
  // Returns the token check of this call.
  absl::Status Auth(grpc::CallbackServerContext* ctx) const;

  Cluster* const cluster_;
  PoolControl pools_;
  const AuthPolicy auth_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_CONTROL_SERVICE_H_
