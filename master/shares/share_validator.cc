#include "master/shares/share_validator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bitcoin/uint256.h"
#include "common/logging.h"

namespace synth::shares {
namespace {

// Returns `t` · 2^16, saturating at 2^256 - 1.
hash::Target256 Times65536(const hash::Target256& t) {
  if (t[7] >> 16 != 0) {
    hash::Target256 max;
    max.fill(0xffffffffu);
    return max;
  }
  hash::Target256 out{};
  for (int i = 7; i >= 0; --i) {
    out[i] = t[i] << 16;
    if (i > 0) out[i] |= t[i - 1] >> 16;
  }
  return out;
}

std::string DedupeKey(const jobs::Midstate& m, uint32_t nonce) {
  std::string key(m.extranonce2.begin(), m.extranonce2.end());
  absl::StrAppend(&key, "|", m.ntime, "|", nonce, "|", m.version);
  return key;
}

}  // namespace

const char* ShareStateName(ShareState state) {
  switch (state) {
    case ShareState::kPending:
      return "pending";
    case ShareState::kAccepted:
      return "accepted";
    case ShareState::kRejected:
      return "rejected";
    case ShareState::kStale:
      return "stale";
    case ShareState::kDuplicate:
      return "duplicate";
    case ShareState::kBelowTarget:
      return "below_target";
    case ShareState::kHardwareError:
      return "hardware_error";
    case ShareState::kUnknownUnit:
      return "unknown_unit";
    case ShareState::kPoolDown:
      return "pool_down";
    case ShareState::kRateLimited:
      return "rate_limited";
  }
  return "?";
}

hash::Target256 CompactToTarget(uint32_t nbits) {
  hash::Target256 t{};
  int exponent = static_cast<int>(nbits >> 24);
  uint32_t mantissa = nbits & 0x007fffff;
  // target = mantissa · 2^(8·(exponent-3)); place the mantissa's 3 bytes one by one.
  for (int b = 0; b < 3; ++b) {
    int byte_pos = exponent - 3 + b;
    uint32_t byte = (mantissa >> (8 * b)) & 0xff;
    if (byte == 0 || byte_pos < 0) continue;
    if (byte_pos >= 32) {
      t.fill(0xffffffffu);
      return t;
    }
    t[byte_pos / 4] |= byte << (8 * (byte_pos % 4));
  }
  return t;
}

ShareValidator::ShareValidator(const jobs::JobManager* jobs, const lease::LeaseManager* leases)
    : jobs_(jobs), leases_(leases) {}

ShareCheck ShareValidator::Decide(const ShareIn& share) {
  ShareCheck c;
  const lease::Unit* unit = leases_->FindUnit(share.unit_id);
  if (unit == nullptr) {
    bool dead = jobs_->IsDead(share.job_key);
    c.state = dead ? ShareState::kStale : ShareState::kUnknownUnit;
    c.reason = dead ? "job is no longer live" : absl::StrCat("unknown unit ", share.unit_id);
    return c;
  }
  const jobs::Midstate& m = *unit->midstate;
  uint64_t extent = std::max(unit->nonce_count, unit->leased_count);
  if (m.midstate_id != share.midstate_id || m.job_key != share.job_key ||
      share.nonce < unit->nonce_start || share.nonce - uint64_t{unit->nonce_start} >= extent) {
    c.state = ShareState::kUnknownUnit;
    c.reason = absl::StrFormat("nonce %08x / midstate %d / job %s do not match unit %d",
                               share.nonce, share.midstate_id, share.job_key, share.unit_id);
    return c;
  }
  const jobs::JobInfo* job = jobs_->FindJob(m.job_key);
  if (job == nullptr) {
    c.state = ShareState::kStale;
    c.reason = "job is no longer live";
    return c;
  }
  c.difficulty = m.difficulty;
  hash::Digest h = hash::HashNonce(m.work, share.nonce);
  if (!hash::MeetsTarget(h, m.work.target)) {
    bool near = hash::MeetsTarget(h, Times65536(m.work.target));
    c.state = near ? ShareState::kBelowTarget : ShareState::kHardwareError;
    c.reason = near ? "hash above the share target" : "hash does not match (device error)";
    c.device_error = true;
    return c;
  }
  auto [it, inserted] = seen_[m.job_key].insert(DedupeKey(m, share.nonce));
  if (!inserted) {
    c.state = ShareState::kDuplicate;
    c.reason = "duplicate share";
    return c;
  }
  counts_.best_difficulty = std::max(counts_.best_difficulty,
                                     bitcoin::DifficultyFromTarget(bitcoin::Uint256::FromHash(h)));
  c.block = hash::MeetsTarget(h, CompactToTarget(job->builder.job().nbits));
  const jobs::UpstreamJob& uj = job->builder.job();
  c.submit =
      jobs::UpstreamShare{uj.job_id,      m.extranonce2, m.ntime, share.nonce, uj.version_mask != 0,
                          m.version_bits, m.version};
  c.state = ShareState::kPending;
  return c;
}

ShareCheck ShareValidator::Validate(const ShareIn& share) {
  ShareCheck c = Decide(share);
  ++counts_.found;
  Count(c.state, c.difficulty);
  if (c.block) LOG(WARNING) << "share of job " << share.job_key << " meets the BLOCK target";
  return c;
}

void ShareValidator::CountUnchecked(ShareState state) {
  ++counts_.found;
  Count(state, 0);
}

void ShareValidator::Resolve(ShareState final_state, double difficulty) {
  if (counts_.pending > 0) --counts_.pending;
  Count(final_state, difficulty);
}

void ShareValidator::Count(ShareState state, double difficulty) {
  switch (state) {
    case ShareState::kPending:
      ++counts_.pending;
      break;
    case ShareState::kAccepted:
      ++counts_.accepted;
      counts_.accepted_difficulty += difficulty;
      break;
    case ShareState::kRejected:
      ++counts_.rejected;
      break;
    case ShareState::kStale:
      ++counts_.stale;
      break;
    case ShareState::kDuplicate:
      ++counts_.duplicate;
      break;
    case ShareState::kBelowTarget:
      ++counts_.below_target;
      break;
    case ShareState::kHardwareError:
      ++counts_.hardware_error;
      break;
    case ShareState::kUnknownUnit:
      ++counts_.unknown_unit;
      break;
    case ShareState::kPoolDown:
      ++counts_.pool_down;
      break;
    case ShareState::kRateLimited:
      ++counts_.rate_limited;
      break;
  }
}

void ShareValidator::DropJobs(const std::vector<std::string>& job_keys) {
  for (const std::string& k : job_keys) seen_.erase(k);
}

}  // namespace synth::shares
