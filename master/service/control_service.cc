#include "master/service/control_service.h"

#include <algorithm>

#include "master/service/auth.h"
#include "master/service/status_views.h"
#include "proto/status_convert.h"

namespace synth::service {
namespace {

// Finishes a unary call with `status`, returning the default reactor.
grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* r = ctx->DefaultReactor();
  r->Finish(proto::ToGrpcStatus(status));
  return r;
}

// Moves an operation's result into `resp`, returning its status.
template <typename T>
absl::Status Take(absl::StatusOr<T> result, T* resp) {
  if (!result.ok()) return result.status();
  *resp = *std::move(result);
  return absl::OkStatus();
}

}  // namespace

ControlServiceImpl::ControlServiceImpl(Cluster* cluster, AuthPolicy auth)
    : cluster_(cluster), pools_(cluster->upstream()), auth_(std::move(auth)) {}

absl::Status ControlServiceImpl::Auth(grpc::CallbackServerContext* ctx) const {
  return CheckAuth(*ctx, auth_);
}

grpc::ServerUnaryReactor* ControlServiceImpl::Status(grpc::CallbackServerContext* ctx,
                                                     const v1::StatusRequest* req,
                                                     v1::StatusResponse* resp) {
  absl::Status auth = Auth(ctx);
  if (auth.ok()) FillStatus(*cluster_, resp, absl::Seconds(std::min(req->history_s(), 900u)));
  return Done(ctx, auth);
}

grpc::ServerUnaryReactor* ControlServiceImpl::Workers(grpc::CallbackServerContext* ctx,
                                                      const v1::WorkersRequest*,
                                                      v1::WorkersResponse* resp) {
  absl::Status auth = Auth(ctx);
  if (auth.ok()) FillWorkers(*cluster_, resp);
  return Done(ctx, auth);
}

grpc::ServerUnaryReactor* ControlServiceImpl::Shares(grpc::CallbackServerContext* ctx,
                                                     const v1::SharesRequest* req,
                                                     v1::SharesResponse* resp) {
  absl::Status auth = Auth(ctx);
  if (auth.ok()) FillShares(*cluster_, req->limit(), resp);
  return Done(ctx, auth);
}

grpc::ServerUnaryReactor* ControlServiceImpl::Jobs(grpc::CallbackServerContext* ctx,
                                                   const v1::JobsRequest*,
                                                   v1::JobsResponse* resp) {
  absl::Status auth = Auth(ctx);
  if (auth.ok()) FillJobs(*cluster_, resp);
  return Done(ctx, auth);
}

grpc::ServerUnaryReactor* ControlServiceImpl::Pools(grpc::CallbackServerContext* ctx,
                                                    const v1::PoolsRequest*,
                                                    v1::PoolsResponse* resp) {
  absl::Status auth = Auth(ctx);
  if (auth.ok()) {
    pools_.FillPools(resp);  // Reads the upstream: no Cluster lock is held here.
    FillSplit(*cluster_, resp);
  }
  return Done(ctx, auth);
}

grpc::ServerUnaryReactor* ControlServiceImpl::Drain(grpc::CallbackServerContext* ctx,
                                                    const v1::DrainRequest* req,
                                                    v1::DrainResponse* resp) {
  absl::Status s = Auth(ctx);
  if (s.ok()) s = Take(cluster_->Drain(*req), resp);
  return Done(ctx, s);
}

grpc::ServerUnaryReactor* ControlServiceImpl::SwitchPool(grpc::CallbackServerContext* ctx,
                                                         const v1::SwitchPoolRequest* req,
                                                         v1::SwitchPoolResponse* resp) {
  absl::Status s = Auth(ctx);
  if (s.ok()) s = Take(pools_.SwitchPool(*req), resp);
  return Done(ctx, s);
}

}  // namespace synth::service
