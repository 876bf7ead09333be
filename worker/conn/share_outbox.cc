#include "worker/conn/share_outbox.h"

#include <utility>

#include "common/logging.h"

namespace synth::worker {

uint64_t ShareOutbox::Add(FoundShare share) {
  absl::MutexLock lock(&mu_);
  uint64_t id = next_id_++;
  ++counts_.found;
  if (pending_.size() >= capacity_ && !pending_.empty()) {
    auto oldest = pending_.begin();
    LOG(ERROR) << "share outbox full (" << capacity_ << " unanswered shares): dropping share "
               << oldest->first << " of job " << oldest->second.share.job_id;
    ++counts_.dropped;
    pending_.erase(oldest);  // Its id may linger in unsent_; TakeUnsent skips it.
  }
  pending_[id] = PendingShare{id, std::move(share), 0};
  unsent_.push_back(id);
  return id;
}

std::vector<PendingShare> ShareOutbox::TakeUnsent(size_t max) {
  std::vector<PendingShare> out;
  absl::MutexLock lock(&mu_);
  while (!unsent_.empty() && out.size() < max) {
    auto it = pending_.find(unsent_.front());
    unsent_.pop_front();
    if (it == pending_.end()) continue;
    out.push_back(it->second);
    if (it->second.sends++ > 0) ++counts_.resent;
  }
  return out;
}

bool ShareOutbox::Ack(uint64_t share_id) {
  absl::MutexLock lock(&mu_);
  if (pending_.erase(share_id) == 0) return false;
  ++counts_.answered;
  return true;
}

void ShareOutbox::Requeue() {
  absl::MutexLock lock(&mu_);
  unsent_.clear();
  for (const auto& [id, share] : pending_) unsent_.push_back(id);
}

bool ShareOutbox::HasUnsent() const {
  absl::MutexLock lock(&mu_);
  for (uint64_t id : unsent_) {
    if (pending_.contains(id)) return true;
  }
  return false;
}

OutboxCounts ShareOutbox::Counts() const {
  absl::MutexLock lock(&mu_);
  OutboxCounts c = counts_;
  c.pending = pending_.size();
  c.unsent = 0;
  for (uint64_t id : unsent_) c.unsent += pending_.contains(id) ? 1 : 0;
  return c;
}

}  // namespace synth::worker
