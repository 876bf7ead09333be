// File: master/service/worker_service.h
//
// WorkerService on the gRPC callback API: one WorkerStream reactor per Connect call. The reactor
// checks the token, waits for Hello, registers with the Cluster and then forwards every message;
// it is the Cluster's StreamSink for that stream. Nothing in a reaction blocks: OnReadDone calls
// the Cluster (a short critical section) and starts the next read; Send only queues; one write is
// in flight at a time and the next starts from OnWriteDone; Finish is called exactly once; the
// reactor deletes itself in OnDone after telling the Cluster the session is gone.
//
// The write queue is bounded (docs/CLUSTER.md "A worker that does not read"): a stream with
// `max_queued_messages` messages unwritten belongs to a worker that does not read (HTTP/2 flow
// control holds the write in flight). The queue is dropped, the stream finishes with
// RESOURCE_EXHAUSTED once the message in flight is taken, and if it is still not taken after
// `unread_grace` the stream is cancelled. Either way the Cluster forgets the session: its leased
// units are re-queued, and its shares' verdicts wait in the share ledger for the worker's next
// stream, so nothing is lost.
//
//   WorkerServiceImpl service(&cluster, AuthPolicy{.token = token});
//   builder.RegisterService(&service);
//
// Thread-safe.
#ifndef SYNTH_MASTER_SERVICE_WORKER_SERVICE_H_
#define SYNTH_MASTER_SERVICE_WORKER_SERVICE_H_

#include <cstddef>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "master/service/auth.h"
#include "master/service/cluster.h"
#include "synth/v1/worker.grpc.pb.h"

namespace synth::service {

// The bound on a worker stream's write queue.
struct WorkerStreamOptions {
  // Messages queued on one stream, the one being written included (>= 1), beyond which the
  // worker counts as not reading. A worker gets a few messages per lease and one per share.
  size_t max_queued_messages = 1024;
  // How long the message in flight may stay unread after that before the stream is cancelled.
  absl::Duration unread_grace = absl::Seconds(5);
};

class WorkerServiceImpl final : public v1::WorkerService::CallbackService {
 public:
  using Options = WorkerStreamOptions;

  // `auth`: who may connect (master/service/auth.h).
  WorkerServiceImpl(Cluster* cluster, AuthPolicy auth, Options options = {});

  grpc::ServerBidiReactor<v1::WorkerMessage, v1::MasterMessage>* Connect(
      grpc::CallbackServerContext* context) override;

 private:
  Cluster* const cluster_;
  const AuthPolicy auth_;
  const Options options_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_WORKER_SERVICE_H_
