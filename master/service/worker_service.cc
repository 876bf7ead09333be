#include "master/service/worker_service.h"

#include <deque>
#include <optional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/logging.h"
#include "master/service/auth.h"
#include "proto/status_convert.h"

namespace synth::service {
namespace {

class WorkerStream final : public grpc::ServerBidiReactor<v1::WorkerMessage, v1::MasterMessage>,
                           public StreamSink {
 public:
  WorkerStream(grpc::CallbackServerContext* ctx, Cluster* cluster, const AuthPolicy& policy)
      : cluster_(cluster), peer_(ctx->peer()) {
    absl::Status auth = CheckAuth(*ctx, policy);
    if (!auth.ok()) {
      LOG(WARNING) << "worker stream from " << peer_ << " refused: " << auth.message();
      RequestFinish(auth);
      return;
    }
    StartRead(&in_);
  }

  // StreamSink. Called with the Cluster's mutex held: queue and return.
  void Send(v1::MasterMessage msg) override {
    const v1::MasterMessage* start = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) return;
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
        if (finishing_ && !finished_) {
          finished_ = true;
          finish = finish_status_;
        }
      }
    }
    if (next != nullptr) StartWrite(next);
    if (finish.has_value()) Finish(proto::ToGrpcStatus(*finish));
  }

  void OnCancel() override { RequestFinish(absl::CancelledError("stream cancelled")); }

  void OnDone() override {
    Leave();
    delete this;
  }

 private:
  // Tells the Cluster this session is over (once; not when the Cluster closed it itself).
  void Leave() {
    if (session_.has_value() && !left_.exchange(true) && !closed_by_cluster_) {
      cluster_->Disconnect(*session_);
    }
  }

  // Finishes now, or after the write in flight (with `flush`, after every queued message).
  // Exactly one Finish per stream.
  void RequestFinish(const absl::Status& status, bool flush = false) {
    {
      absl::MutexLock lock(&mu_);
      if (finishing_) {
        if (writing_ || finished_) return;
      }
      finishing_ = true;
      finish_status_ = status;
      flush_ = flush;
      if (writing_) {
        if (!flush) {
          while (out_.size() > 1) out_.pop_back();  // Keep only the message in flight.
        }
        return;
      }
      if (finished_) return;
      finished_ = true;
    }
    Finish(proto::ToGrpcStatus(status));
  }

  Cluster* const cluster_;
  const std::string peer_;
  v1::WorkerMessage in_;             // Owned by the read chain.
  std::optional<uint64_t> session_;  // Set by the read chain only.
  std::atomic<bool> left_{false};
  std::atomic<bool> closed_by_cluster_{false};

  absl::Mutex mu_;
  std::deque<v1::MasterMessage> out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool flush_ ABSL_GUARDED_BY(mu_) = false;  // Write every queued message before finishing.
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

WorkerServiceImpl::WorkerServiceImpl(Cluster* cluster, AuthPolicy auth)
    : cluster_(cluster), auth_(std::move(auth)) {}

grpc::ServerBidiReactor<v1::WorkerMessage, v1::MasterMessage>* WorkerServiceImpl::Connect(
    grpc::CallbackServerContext* context) {
  return new WorkerStream(context, cluster_, auth_);
}

}  // namespace synth::service
