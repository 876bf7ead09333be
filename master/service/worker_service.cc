#include "master/service/worker_service.h"

#include <atomic>
#include <deque>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "grpcpp/alarm.h"
#include "master/service/auth.h"
#include "proto/status_convert.h"

namespace synth::service {
namespace {

class WorkerStream final : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::MasterMessage>,
                           public StreamSink {
 public:
  WorkerStream(grpc::CallbackServerContext* ctx, Cluster* cluster, const AuthPolicy& policy,
               const WorkerServiceImpl::Options& options)
      : ctx_(ctx), cluster_(cluster), peer_(ctx->peer()), options_(options) {
    absl::Status auth = CheckAuth(*ctx, policy);
    if (!auth.ok()) {
      LOG(WARNING) << "worker stream from " << peer_ << " refused: " << auth.message();
      RequestFinish(auth);
      return;
    }
    StartRead(&in_);
  }

  // StreamSink. Called with the Cluster's (or the share ledger's) mutex held: queue and return.
  void Send(v1::MasterMessage msg) override {
    const v1::MasterMessage* start = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
      if (out_.size() >= options_.max_queued_messages) return OverflowLocked();
      out_.push_back(std::move(msg));
      if (writing_) return;
      writing_ = true;
      start = &out_.front();  // deque::push_back never moves existing elements.
    }
    StartWrite(start);
  }

  // The Cluster's last word: what it queued before (e.g. a cancel) is still written, then the
  // stream finishes with `status`.
  void Close(const absl::Status& status) override {
    closed_by_cluster_ = true;
    RequestFinish(status, /*flush=*/true);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // The worker half-closed, the stream broke, or a message did not decode.
      Leave();
      // gRPC reports an undecodable message like a half-close; before a Hello neither is a
      // valid conversation, so say so instead of ending with OK.
      RequestFinish(session_.has_value()
                        ? absl::OkStatus()
                        : absl::InvalidArgumentError(
                              "stream ended or sent an undecodable message before its Hello"));
      return;
    }
    if (!session_.has_value()) {
      if (!in_.has_hello()) {
        RequestFinish(absl::InvalidArgumentError("the first message must be a Hello"));
        return;
      }
      absl::StatusOr<uint64_t> id = cluster_->Connect(in_.hello(), peer_, this);
      if (!id.ok()) {
        RequestFinish(id.status());
        return;
      }
      session_ = *id;
    } else {
      cluster_->OnMessage(*session_, in_);
    }
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    const v1::MasterMessage* next = nullptr;
    std::optional<absl::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      out_.pop_front();
      if (!ok) {  // Broken stream: nothing more will be written.
        finishing_ = true;
        out_.clear();
      }
      if (!out_.empty() && (!finishing_ || flush_)) {
        next = &out_.front();
      } else {
        writing_ = false;
        out_.clear();
        finish = TakeFinishLocked();
      }
    }
    if (next != nullptr) StartWrite(next);
    if (finish.has_value()) Finish(proto::ToGrpcStatus(*finish));
  }

  void OnCancel() override { RequestFinish(absl::CancelledError("stream cancelled")); }

  void OnDone() override {
    Leave();
    Unref();
  }

 private:
  // Tells the Cluster this session is over (once; not when the Cluster closed it itself).
  void Leave() {
    if (session_.has_value() && !left_.exchange(true) && !closed_by_cluster_) {
      cluster_->Disconnect(*session_);
    }
  }

  // Finishes now, or once the write in flight is done (with `flush`, after every queued
  // message). Exactly one Finish per stream; the first request's status wins.
  void RequestFinish(const absl::Status& status, bool flush = false) {
    std::optional<absl::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      if (!finishing_) {
        finishing_ = true;
        finish_status_ = status;
        flush_ = flush;
        if (!flush) DropQueuedLocked();
      }
      finish = TakeFinishLocked();
    }
    if (finish.has_value()) Finish(proto::ToGrpcStatus(*finish));
  }

  // Returns the status to Finish with when the stream may finish now (once).
  std::optional<absl::Status> TakeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!finishing_ || finished_ || writing_ || cancelling_) return std::nullopt;
    finished_ = true;
    return finish_status_;
  }

  // Keeps only the message in flight.
  void DropQueuedLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (out_.size() > (writing_ ? 1u : 0u)) out_.pop_back();
  }

  // The write queue is full: the worker does not read. Finish with RESOURCE_EXHAUSTED once the
  // message in flight is taken, or cancel the stream after the grace period (an Alarm: the
  // Cluster's mutex may be held here, and cancelling can run reactions on this thread).
  void OverflowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    finishing_ = true;
    flush_ = false;
    finish_status_ = absl::ResourceExhaustedError(absl::StrCat(
        "worker not reading: ", out_.size(), " messages queued unwritten; stream closed"));
    LOG(WARNING) << "worker stream from " << peer_ << ": " << finish_status_.message()
                 << " (its units are re-queued, its verdicts wait for its next stream)";
    DropQueuedLocked();
    refs_.fetch_add(1);  // Held by the alarm until its callback ran.
    alarm_.Set(absl::ToChronoTime(absl::Now() + options_.unread_grace),
               [this](bool fired) { OnUnreadGraceOver(fired); });
  }

  // Cancels the stream unless it finished in time. `ctx_` is valid: the stream has not
  // finished (cancelling_ holds Finish back until the cancel is done).
  void OnUnreadGraceOver(bool fired) {
    bool cancel;
    {
      absl::MutexLock lock(&mu_);
      cancel = fired && !finished_;
      cancelling_ = cancel;
    }
    if (cancel) ctx_->TryCancel();
    std::optional<absl::Status> finish;
    {
      absl::MutexLock lock(&mu_);
      cancelling_ = false;
      finish = TakeFinishLocked();
    }
    if (finish.has_value()) Finish(proto::ToGrpcStatus(*finish));
    Unref();
  }

  void Unref() {
    if (refs_.fetch_sub(1) == 1) delete this;
  }

  grpc::CallbackServerContext* const ctx_;
  Cluster* const cluster_;
  const std::string peer_;
  const WorkerServiceImpl::Options options_;
  v1::WorkerMessage in_;             // Owned by the read chain.
  std::optional<uint64_t> session_;  // Set by the read chain only.
  std::atomic<bool> left_{false};
  std::atomic<bool> closed_by_cluster_{false};
  std::atomic<int> refs_{1};  // gRPC's (released in OnDone) and a pending alarm's.
  grpc::Alarm alarm_;

  absl::Mutex mu_;
  std::deque<v1::MasterMessage> out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelling_ ABSL_GUARDED_BY(mu_) = false;  // TryCancel in progress: no Finish yet.
  bool flush_ ABSL_GUARDED_BY(mu_) = false;  // Write every queued message before finishing.
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

WorkerServiceImpl::WorkerServiceImpl(Cluster* cluster, AuthPolicy auth, Options options)
    : cluster_(cluster), auth_(std::move(auth)), options_(options) {}

grpc::ServerBidiReactor<v1::WorkerMessage, v1::MasterMessage>* WorkerServiceImpl::Connect(
    grpc::CallbackServerContext* context) {
  return new WorkerStream(context, cluster_, auth_, options_);
}

}  // namespace synth::service
