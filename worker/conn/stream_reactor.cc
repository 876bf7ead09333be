#include "worker/conn/stream_reactor.h"

#include <algorithm>
#include <utility>

namespace synth::worker {

StreamReactor::StreamReactor(synth::v1::WorkerService::Stub* stub, const std::string& token,
                             Callbacks callbacks)
    : stub_(stub), callbacks_(std::move(callbacks)) {
  if (!token.empty()) context_.AddMetadata("authorization", "Bearer " + token);
}

void StreamReactor::Begin() {
  stub_->async()->Connect(&context_, this);
  AddHold();
  StartRead(&incoming_);
  {
    absl::MutexLock lock(&mu_);
    begun_ = true;
    StartNextWriteLocked();  // Messages queued before Begin (the Hello) go first.
  }
  StartCall();
}

bool StreamReactor::Send(synth::v1::WorkerMessage msg, bool buffer_hint) {
  absl::MutexLock lock(&mu_);
  if (reads_ended_ || write_failed_ || close_writes_) return false;
  queue_.push_back({std::move(msg), buffer_hint});
  StartNextWriteLocked();
  return true;
}

void StreamReactor::CloseWrites() {
  absl::MutexLock lock(&mu_);
  close_writes_ = true;
  StartNextWriteLocked();
}

void StreamReactor::StartNextWriteLocked() {
  if (!begun_ || writing_ || released_ || write_failed_) return;
  if (!queue_.empty()) {
    writing_ = true;
    grpc::WriteOptions options;
    if (queue_.front().buffer_hint) options.set_buffer_hint();
    StartWrite(&queue_.front().msg, options);
  } else if (close_writes_ && !writes_closed_) {
    writes_closed_ = true;
    StartWritesDone();
  }
}

bool StreamReactor::ShouldReleaseLocked() {
  if (released_ || !reads_ended_ || writing_) return false;
  released_ = true;
  return true;
}

void StreamReactor::OnReadDone(bool ok) {
  if (ok) {
    callbacks_.on_message(incoming_);
    StartRead(&incoming_);
    return;
  }
  bool release;
  {
    absl::MutexLock lock(&mu_);
    reads_ended_ = true;
    release = ShouldReleaseLocked();
  }
  if (release) RemoveHold();
}

void StreamReactor::OnWriteDone(bool ok) {
  bool release;
  bool drained = false;
  {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    queue_.pop_front();
    if (!ok) {
      // The stream is broken; reads end too. Drop what is queued: shares live in the outbox.
      write_failed_ = true;
      queue_.clear();
    }
    if (notify_at_.has_value() && queue_.size() <= *notify_at_) {
      notify_at_.reset();
      drained = true;
    }
    StartNextWriteLocked();
    release = ShouldReleaseLocked();
  }
  if (drained && callbacks_.on_drained) callbacks_.on_drained();
  if (release) RemoveHold();
}

void StreamReactor::NotifyWhenBacklogAtMost(size_t n) {
  absl::MutexLock lock(&mu_);
  notify_at_ = notify_at_.has_value() ? std::max(*notify_at_, n) : n;
}

void StreamReactor::OnDone(const grpc::Status& status) {
  {
    absl::MutexLock lock(&mu_);
    status_ = status;
  }
  if (callbacks_.on_done) callbacks_.on_done(status);
  // Last: once done_ is set, AwaitDone returns and the owner may destroy the reactor.
  absl::MutexLock lock(&mu_);
  done_ = true;
}

grpc::Status StreamReactor::AwaitDone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_; };
  if (!mu_.AwaitWithTimeout(absl::Condition(&done), timeout)) {
    mu_.Unlock();
    context_.TryCancel();
    mu_.Lock();
    mu_.Await(absl::Condition(&done));
  }
  return status_;
}

size_t StreamReactor::Backlog() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

}  // namespace synth::worker
