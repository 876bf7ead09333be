#include "master/jobs/job_manager.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace synth::jobs {

JobManager::JobManager(Options options) : options_(options), instance_(options.instance) {
  if (instance_.empty()) {
    absl::BitGen gen;
    instance_ = absl::StrCat(absl::Hex(absl::Uniform<uint32_t>(gen, 0, 1u << 24), absl::kZeroPad6));
  }
}

absl::StatusOr<std::vector<std::string>> JobManager::AddJob(const UpstreamJob& job) {
  if (job.pool >= kMaxPools) {
    return absl::InvalidArgumentError(
        absl::StrCat("job ", job.notify.job_id, ": pool index ", job.pool, " out of range"));
  }
  std::string key = absl::StrCat(instance_, ".", job_seq_ + 1, "/", job.notify.job_id);
  ExtranoncePartition partition =
      PartitionExtranonce2(job.extranonce2_size, options_.downstream_slots);
  absl::StatusOr<JobBuilder> builder = JobBuilder::Create(job, key, partition.prefix_bytes);
  if (!builder.ok()) return builder.status();
  ++job_seq_;
  if (job.version_mask != 0 && (job.notify.version & job.version_mask) != 0) {
    LOG(WARNING) << "job " << job.notify.job_id << ": version " << std::hex << job.notify.version
                 << " has bits inside the rolling mask " << job.version_mask;
  }
  std::vector<std::string> dead = DyingFor(job);
  std::string pool_key = absl::StrCat(job.notify.job_id, "/", absl::BytesToHexString(std::string(
                                           job.extranonce1.begin(), job.extranonce1.end())));
  for (const auto& [k, live] : jobs_) {  // The same pool job still live: remember its progress.
    if (live->pool_key == pool_key) RememberIndex(*live);
  }
  for (const std::string& k : dead) Kill(k);
  auto info = std::make_unique<JobInfo>(JobInfo{key, *std::move(builder)});
  info->pool_key = pool_key;
  info->seq = job_seq_;
  info->partition = partition;
  info->pool = job.pool;
  if (partition.slots > 0) info->stratum = std::make_shared<stratum::StratumJob>(job.notify);
  if (auto it = resume_index_.find(pool_key); it != resume_index_.end()) {
    // Start on a fresh extranonce2 past everything handed out for this pool job before.
    uint64_t per = info->builder.versions_per_extranonce2();
    info->next_index = (it->second + per - 1) / per * per;
    LOG(INFO) << "job " << job.notify.job_id << " notified again: continuing at midstate index "
              << info->next_index << " (no duplicate extranonce2)";
  }
  jobs_.emplace(key, std::move(info));
  order_.push_back(key);
  if (pools_.size() <= job.pool) pools_.resize(job.pool + 1);
  pools_[job.pool].current = key;
  pools_[job.pool].cache.clear();  // Midstates of the previous job stay findable while it lives.
  FillPool(job.pool);
  return dead;
}

std::vector<std::string> JobManager::DyingFor(const UpstreamJob& job) const {
  std::vector<std::string> same;  // The pool's live jobs, oldest first.
  for (const std::string& k : order_) {
    if (jobs_.at(k)->pool == job.pool) same.push_back(k);
  }
  if (job.notify.clean_jobs) return same;
  size_t over = same.size() + 1 > options_.max_live_jobs ? same.size() + 1 - options_.max_live_jobs
                                                         : 0;
  same.resize(std::min(over, same.size()));
  return same;
}

const std::string& JobManager::current(size_t pool) const {
  static const std::string* const kNone = new std::string();
  return pool < pools_.size() ? pools_[pool].current : *kNone;
}

bool JobManager::IsCurrent(const std::string& key) const {
  const JobInfo* job = FindJob(key);
  return job != nullptr && current(job->pool) == key;
}

size_t JobManager::cached() const {
  size_t n = 0;
  for (const PoolJobs& p : pools_) n += p.cache.size();
  return n;
}

void JobManager::RememberIndex(const JobInfo& job) {
  auto [it, inserted] = resume_index_.try_emplace(job.pool_key, job.next_index);
  if (!inserted) {
    it->second = std::max(it->second, job.next_index);
    return;
  }
  resume_order_.push_back(job.pool_key);
  while (resume_order_.size() > options_.remember_dead) {
    resume_index_.erase(resume_order_.front());
    resume_order_.pop_front();
  }
}

void JobManager::Kill(const std::string& key) {
  auto found = jobs_.find(key);
  if (found == jobs_.end()) return;
  RememberIndex(*found->second);
  jobs_.erase(found);
  for (auto it = order_.begin(); it != order_.end(); ++it) {
    if (*it == key) {
      order_.erase(it);
      break;
    }
  }
  absl::erase_if(midstates_, [&](const auto& kv) { return kv.second->job_key == key; });
  for (PoolJobs& p : pools_) {
    if (p.current == key) {
      p.current.clear();
      p.cache.clear();
    }
  }
  dead_order_.push_back(key);
  dead_set_.insert(key);
  while (dead_order_.size() > options_.remember_dead) {
    dead_set_.erase(dead_order_.front());
    dead_order_.pop_front();
  }
}

uint64_t JobManager::oldest_live_seq() const {
  if (order_.empty()) return job_seq_ + 1;
  return jobs_.at(order_.front())->seq;
}

std::vector<std::string> JobManager::KillAll() {
  std::vector<std::string> dead(order_.begin(), order_.end());
  for (const std::string& k : dead) Kill(k);
  return dead;
}

std::shared_ptr<const Midstate> JobManager::BuildOne(size_t pool) {
  auto it = jobs_.find(current(pool));
  if (it == jobs_.end()) return nullptr;
  JobInfo& job = *it->second;
  uint64_t id = next_midstate_id_;
  if (job.next_index % job.builder.versions_per_extranonce2() == 0) job.group_id = id;
  absl::StatusOr<Midstate> m = job.builder.Build(job.next_index, id, job.group_id);
  if (!m.ok()) {
    LOG_EVERY_N(WARNING, 1000) << m.status();
    return nullptr;
  }
  ++job.next_index;
  ++next_midstate_id_;
  m->pool = job.pool;
  auto shared = std::make_shared<const Midstate>(*std::move(m));
  midstates_.emplace(id, shared);
  return shared;
}

void JobManager::Fill() {
  for (size_t pool = 0; pool < pools_.size(); ++pool) FillPool(pool);
}

void JobManager::FillPool(size_t pool) {
  if (pool >= pools_.size()) return;
  std::deque<std::shared_ptr<const Midstate>>& cache = pools_[pool].cache;
  while (cache.size() < options_.cache_ahead) {
    std::shared_ptr<const Midstate> m = BuildOne(pool);
    if (m == nullptr) return;
    cache.push_back(std::move(m));
  }
}

std::shared_ptr<const Midstate> JobManager::PeekMidstate(size_t pool) {
  if (pool >= pools_.size()) return nullptr;
  if (pools_[pool].cache.empty()) FillPool(pool);
  return pools_[pool].cache.empty() ? nullptr : pools_[pool].cache.front();
}

std::shared_ptr<const Midstate> JobManager::NextMidstate(size_t pool) {
  if (pool >= pools_.size()) return nullptr;
  std::deque<std::shared_ptr<const Midstate>>& cache = pools_[pool].cache;
  if (cache.empty()) FillPool(pool);
  if (cache.empty()) return nullptr;
  std::shared_ptr<const Midstate> m = std::move(cache.front());
  cache.pop_front();
  return m;
}

std::shared_ptr<const Midstate> JobManager::FindMidstate(uint64_t midstate_id) const {
  auto it = midstates_.find(midstate_id);
  return it == midstates_.end() ? nullptr : it->second;
}

const JobInfo* JobManager::FindJob(const std::string& key) const {
  auto it = jobs_.find(key);
  return it == jobs_.end() ? nullptr : it->second.get();
}

void JobManager::ForgetUnused() {
  // use_count 1: only this map holds it (not cached, no unit refers to it).
  absl::erase_if(midstates_, [](const auto& kv) { return kv.second.use_count() == 1; });
}

}  // namespace synth::jobs
