#include "master/jobs/job_builder.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/uint256.h"
#include "common/status_macros.h"
#include "common/stratum/job.h"

namespace synth::jobs {

absl::Status ValidateJob(const UpstreamJob& job) {
  if (job.notify.job_id.empty()) return absl::InvalidArgumentError("job has an empty job_id");
  if (job.extranonce2_size < 1 || job.extranonce2_size > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("extranonce2_size ", job.extranonce2_size, " outside 1..8"));
  }
  if (!(job.difficulty > 0) || !std::isfinite(job.difficulty)) {
    return absl::InvalidArgumentError(absl::StrCat("bad difficulty ", job.difficulty));
  }
  return absl::OkStatus();
}

std::vector<uint8_t> Extranonce2Bytes(uint64_t counter, int size, int prefix_bytes) {
  std::vector<uint8_t> out(size);
  for (int i = prefix_bytes; i < size; ++i) {
    out[i] = static_cast<uint8_t>(counter >> (8 * (i - prefix_bytes)));
  }
  return out;
}

uint32_t RollVersion(uint32_t base, uint32_t mask, uint64_t roll) {
  uint32_t out = base & ~mask;
  for (uint32_t m = mask; m != 0 && roll != 0; m &= m - 1, roll >>= 1) {
    if (roll & 1) out |= m & (~m + 1);  // Lowest remaining mask bit.
  }
  return out;
}

JobBuilder::JobBuilder(const UpstreamJob& job, std::string job_key, const hash::Target256& target,
                       int prefix_bytes)
    : job_(job), job_key_(std::move(job_key)), target_(target), prefix_bytes_(prefix_bytes) {
  int bits = std::popcount(job.version_mask);
  versions_ = uint64_t{1} << std::min(bits, 16);
}

absl::StatusOr<JobBuilder> JobBuilder::Create(const UpstreamJob& job, std::string job_key,
                                              int prefix_bytes) {
  RETURN_IF_ERROR(ValidateJob(job));
  if (prefix_bytes < 0 || prefix_bytes >= job.extranonce2_size) {
    return absl::InvalidArgumentError(absl::StrCat("extranonce2 slot prefix of ", prefix_bytes,
                                                   " bytes leaves no counter in ",
                                                   job.extranonce2_size, " bytes"));
  }
  ASSIGN_OR_RETURN(bitcoin::Uint256 target, bitcoin::TargetFromDifficulty(job.difficulty));
  return JobBuilder(job, std::move(job_key), target.words(), prefix_bytes);
}

absl::StatusOr<Midstate> JobBuilder::Build(uint64_t index, uint64_t midstate_id,
                                           uint64_t version_group) const {
  uint64_t counter = index / versions_;
  int counter_bytes = job_.extranonce2_size - prefix_bytes_;
  if (counter_bytes < 8 && counter >> (8 * counter_bytes) != 0) {
    return absl::OutOfRangeError(absl::StrCat("job ", job_.notify.job_id, ": extranonce2 space of ",
                                              counter_bytes, " bytes exhausted"));
  }
  Midstate m;
  m.midstate_id = midstate_id;
  m.version_group = version_group;
  m.job_key = job_key_;
  m.extranonce2 = Extranonce2Bytes(counter, job_.extranonce2_size, prefix_bytes_);
  m.version = job_.version_mask != 0
                  ? RollVersion(job_.notify.version, job_.version_mask, index % versions_)
                  : job_.notify.version;
  m.version_bits = m.version & job_.version_mask;
  m.ntime = job_.notify.ntime;
  m.difficulty = job_.difficulty;
  std::array<uint8_t, 80> header = stratum::BuildHeader(job_.notify, job_.extranonce1,
                                                        m.extranonce2, m.version, m.ntime, 0)
                                       .Serialize();
  std::memcpy(m.header.data(), header.data(), 76);
  m.work = hash::MakeScanWork(header, target_);
  return m;
}

}  // namespace synth::jobs
