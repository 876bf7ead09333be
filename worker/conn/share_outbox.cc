#include "worker/conn/share_outbox.h"

#include <map>
#include <utility>

#include "common/logging.h"

namespace synth::worker {

uint64_t ShareOutbox::Add(FoundShare share, int master) {
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
  pending_[id] = PendingShare{id, std::move(share), 0, master};
  unsent_.push_back(id);
  return id;
}

std::vector<PendingShare> ShareOutbox::TakeUnsent(size_t max, int master) {
  std::vector<PendingShare> out;
  absl::MutexLock lock(&mu_);
  for (auto id = unsent_.begin(); id != unsent_.end() && out.size() < max;) {
    auto it = pending_.find(*id);
    if (it == pending_.end()) {  // Answered, dropped or expired meanwhile.
      id = unsent_.erase(id);
      continue;
    }
    if (master != kAnyMaster && it->second.master != master) {
      ++id;  // Another master's: it waits for that master.
      continue;
    }
    out.push_back(it->second);
    if (it->second.sends++ > 0) ++counts_.resent;
    id = unsent_.erase(id);
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

bool ShareOutbox::HasUnsent(int master) const {
  absl::MutexLock lock(&mu_);
  for (uint64_t id : unsent_) {
    auto it = pending_.find(id);
    if (it != pending_.end() && (master == kAnyMaster || it->second.master == master)) {
      return true;
    }
  }
  return false;
}

uint64_t ShareOutbox::PendingFor(int master) const {
  absl::MutexLock lock(&mu_);
  uint64_t n = 0;
  for (const auto& [id, p] : pending_) n += p.master == master ? 1 : 0;
  return n;
}

uint64_t ShareOutbox::ExpireMaster(int master) {
  absl::MutexLock lock(&mu_);
  uint64_t n = std::erase_if(pending_, [master](const auto& kv) {
    return kv.second.master == master;
  });
  counts_.master_lost += n;  // Their ids linger in unsent_; TakeUnsent skips them.
  return n;
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
