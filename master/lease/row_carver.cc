#include "master/lease/row_carver.h"

#include <algorithm>

namespace synth::lease {
namespace {
constexpr uint64_t kNonceSpace = uint64_t{1} << 32;
}  // namespace

RowCarver::RowCarver(jobs::JobManager* jobs, size_t pool, size_t lockstep)
    : jobs_(jobs), pool_(pool), lockstep_(std::max<size_t>(1, lockstep)) {}

bool RowCarver::TakeMembers() {
  std::shared_ptr<const jobs::Midstate> first = jobs_->NextMidstate(pool_);
  if (first == nullptr) return false;
  members_.push_back(first);
  while (members_.size() < lockstep_) {
    std::shared_ptr<const jobs::Midstate> next = jobs_->PeekMidstate(pool_);
    if (next == nullptr || next->job_key != first->job_key ||
        next->version_group != first->version_group || next->work.tail != first->work.tail ||
        next->work.target != first->work.target) {
      break;
    }
    members_.push_back(jobs_->NextMidstate(pool_));
  }
  carve_next_ = 0;
  row_pos_ = members_.size();
  return true;
}

std::optional<CutRange> RowCarver::Next(uint64_t max_count) {
  bool row_open = row_pos_ < members_.size();
  // Midstates of a job that is no longer current are left: new work comes from the newest job.
  if (!members_.empty()) {
    const std::string& key = members_[0]->job_key;
    if (key != jobs_->current(pool_) || jobs_->FindJob(key) == nullptr ||
        (!row_open && carve_next_ >= kNonceSpace)) {
      members_.clear();
      row_pos_ = 0;
      row_open = false;
    }
  }
  if (members_.empty() && !TakeMembers()) return std::nullopt;
  if (!row_open) {
    const uint64_t n = members_.size();
    row_start_ = carve_next_;
    row_count_ = std::min(std::max<uint64_t>(1, (max_count + n - 1) / n), kNonceSpace - carve_next_);
    carve_next_ += row_count_;
    row_pos_ = 0;
  }
  return CutRange{members_[row_pos_++], static_cast<uint32_t>(row_start_), row_count_};
}

void RowCarver::Drop(const absl::flat_hash_set<std::string>& dead) {
  if (!members_.empty() && dead.contains(members_[0]->job_key)) {
    members_.clear();
    row_pos_ = 0;
  }
}

}  // namespace synth::lease
