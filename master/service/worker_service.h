// File: master/service/worker_service.h
//
// WorkerService on the gRPC callback API: one WorkerStream reactor per Connect call. The reactor
// checks the token, waits for Hello, registers with the Cluster and then forwards every message;
// it is the Cluster's StreamSink for that stream. Nothing in a reaction blocks: OnReadDone calls
// the Cluster (a short critical section) and starts the next read; Send only queues; one write is
// in flight at a time and the next starts from OnWriteDone; Finish is called exactly once; the
// reactor deletes itself in OnDone after telling the Cluster the session is gone.
//
//   WorkerServiceImpl service(&cluster, AuthPolicy{.token = token});
//   builder.RegisterService(&service);
//
// Thread-safe.
#ifndef SYNTH_MASTER_SERVICE_WORKER_SERVICE_H_
#define SYNTH_MASTER_SERVICE_WORKER_SERVICE_H_

#include <string>

#include "grpcpp/grpcpp.h"
#include "master/service/auth.h"
#include "master/service/cluster.h"
#include "synth/v1/worker.grpc.pb.h"

namespace synth::service {

class WorkerServiceImpl final : public v1::WorkerService::CallbackService {
 public:
  // `auth`: who may connect (master/service/auth.h).
  WorkerServiceImpl(Cluster* cluster, AuthPolicy auth);

  grpc::ServerBidiReactor<v1::WorkerMessage, v1::MasterMessage>* Connect(
      grpc::CallbackServerContext* context) override;

 private:
  Cluster* const cluster_;
  const AuthPolicy auth_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_WORKER_SERVICE_H_
