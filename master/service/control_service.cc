#include "master/service/control_service.h"

#include "master/service/auth.h"
#include "proto/status_convert.h"

namespace synth::service {
namespace {

// Finishes a unary call with `status`, returning the default reactor.
grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
  r->Finish(proto::ToGrpcStatus(status));
  return r;
}

}  // namespace

ControlServiceImpl::ControlServiceImpl(Cluster* cluster, AuthPolicy auth)
    : cluster_(cluster), auth_(std::move(auth)) {}

grpc::ServerUnaryReactor* ControlServiceImpl::Status(grpc::CallbackServerContext* ctx,
                                                     const v1::StatusRequest*,
                                                     v1::StatusResponse* resp) {
  absl::Status auth = CheckAuth(*ctx, auth_);
  if (auth.ok()) cluster_->FillStatus(resp);
  return Done(ctx, auth);
}

grpc::ServerUnaryReactor* ControlServiceImpl::Workers(grpc::CallbackServerContext* ctx,
                                                      const v1::WorkersRequest*,
                                                      v1::WorkersResponse* resp) {
  absl::Status auth = CheckAuth(*ctx, auth_);
  if (auth.ok()) cluster_->FillWorkers(resp);
  return Done(ctx, auth);
}

grpc::ServerUnaryReactor* ControlServiceImpl::Shares(grpc::CallbackServerContext* ctx,
                                                     const v1::SharesRequest*,
                                                     v1::SharesResponse* resp) {
  absl::Status auth = CheckAuth(*ctx, auth_);
  if (auth.ok()) {
    v1::StatusResponse status;
    cluster_->FillStatus(&status);
    *resp->mutable_totals() = status.shares();
  }
  return Done(ctx, auth);
}

}  // namespace synth::service
