// File: master/service/control_service.h
//
// ControlService on the gRPC callback API: unary Status / Workers / Shares answered from the
// Cluster's counters (no I/O), with the same token check as WorkerService.
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

 private:
  Cluster* const cluster_;
  const AuthPolicy auth_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_CONTROL_SERVICE_H_
