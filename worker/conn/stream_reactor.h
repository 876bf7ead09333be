// File: worker/conn/stream_reactor.h
//
// One WorkerService.Connect stream on the gRPC callback API. Writes are queued and chained:
// one write in flight, the next started from OnWriteDone. Reads run continuously and hand every
// MasterMessage to a callback on gRPC's reaction thread. Nothing in a reaction blocks.
//
//   StreamReactor reactor(stub, token, {.on_message = [&](const v1::MasterMessage& m) { ... },
//                                       .on_done = [&](const grpc::Status& s) { ... }});
//   reactor.Begin();                        // starts the call, the first read
//   reactor.Send(hello);                    // from any thread
//   reactor.NotifyWhenBacklogAtMost(128);   // on_drained once the write queue is that short
//
// Lifetime: the reactor must stay alive until AwaitDone() returned (OnDone, on_done included,
// has finished); it must not be destroyed inside on_done. A hold keeps the call open until
// reads have ended and no write is in flight, so Send() from other threads never races with
// OnDone. Send() after the stream ended returns false and drops the message (the share outbox
// keeps shares for the next stream).
//
// Thread-safety: Send, CloseWrites, Cancel, NotifyWhenBacklogAtMost and AwaitDone are
// thread-safe. The callbacks run on gRPC threads without the reactor's lock; they must not
// block, and on_message must not call Send while holding a lock that its other callers hold
// around Send.
#ifndef SYNTH_WORKER_CONN_STREAM_REACTOR_H_
#define SYNTH_WORKER_CONN_STREAM_REACTOR_H_

#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "synth/v1/worker.grpc.pb.h"

namespace synth::worker {

class StreamReactor
    : public grpc::ClientBidiReactor<synth::v1::WorkerMessage, synth::v1::MasterMessage> {
 public:
  struct Callbacks {
    std::function<void(const synth::v1::MasterMessage&)> on_message;  // Each message read.
    std::function<void(const grpc::Status&)> on_done;  // Once, last; optional.
    std::function<void()> on_drained;  // See NotifyWhenBacklogAtMost; optional.
  };

  // `token` goes into `authorization: Bearer <token>` metadata when non-empty.
  StreamReactor(synth::v1::WorkerService::Stub* stub, const std::string& token,
                Callbacks callbacks);

  // Starts the call and the read loop. Call once.
  void Begin();
  // Queues a message (before Begin too); `buffer_hint` lets gRPC coalesce it (telemetry only). Returns false when
  // the stream is over.
  bool Send(synth::v1::WorkerMessage msg, bool buffer_hint = false);
  // Half-closes after the queued writes.
  void CloseWrites();
  // Ends the call now (reads and writes fail, OnDone follows).
  void Cancel() { context_.TryCancel(); }
  // Waits until OnDone; returns the call's status. `timeout` bounds the wait; on timeout the
  // call is cancelled and waited for.
  grpc::Status AwaitDone(absl::Duration timeout = absl::InfiniteDuration());
  // Returns the number of messages queued or in flight.
  size_t Backlog() const;
  // Calls on_drained once, from OnWriteDone, when the backlog has fallen to `n` or below (the
  // writer held messages back while the queue was long, or waits for it to empty).
  void NotifyWhenBacklogAtMost(size_t n);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool ok) override {}
  void OnDone(const grpc::Status& status) override;

 private:
  struct Outgoing {
    synth::v1::WorkerMessage msg;
    bool buffer_hint = false;
  };
  void StartNextWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the hold once reads ended and no write is in flight; returns true when it must be
  // removed now (outside the lock).
  bool ShouldReleaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  synth::v1::WorkerService::Stub* const stub_;
  const Callbacks callbacks_;
  grpc::ClientContext context_;
  synth::v1::MasterMessage incoming_;  // Owned by the read loop.

  mutable absl::Mutex mu_;
  std::deque<Outgoing> queue_ ABSL_GUARDED_BY(mu_);  // front() is in flight when writing_.
  bool begun_ ABSL_GUARDED_BY(mu_) = false;  // Bound to the call; writes may start.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool close_writes_ ABSL_GUARDED_BY(mu_) = false;
  bool writes_closed_ ABSL_GUARDED_BY(mu_) = false;
  bool write_failed_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_ended_ ABSL_GUARDED_BY(mu_) = false;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<size_t> notify_at_ ABSL_GUARDED_BY(mu_);  // NotifyWhenBacklogAtMost.
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_STREAM_REACTOR_H_
