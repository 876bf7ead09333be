#include "master/shares/share_validator.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bitcoin/uint256.h"
#include "common/logging.h"
#include "common/stratum/share_check.h"
#include "master/jobs/extranonce_space.h"

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

std::string DedupeKey(const std::vector<uint8_t>& extranonce2, uint32_t ntime, uint32_t nonce,
                      uint32_t version) {
  std::string key(extranonce2.begin(), extranonce2.end());
  absl::StrAppend(&key, "|", ntime, "|", nonce, "|", version);
  return key;
}

ShareCheck Refused(ShareState state, int code, std::string reason) {
  ShareCheck c;
  c.state = state;
  c.code = code;
  c.reason = std::move(reason);
  return c;
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
    case ShareState::kLocal:
      return "local";
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
  if (!FirstSeen(m.job_key, m.extranonce2, m.ntime, share.nonce, m.version)) {
    c.state = ShareState::kDuplicate;
    c.reason = "duplicate share";
    return c;
  }
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
    case ShareState::kLocal:
      ++counts_.local;
      break;
  }
}

bool ShareValidator::FirstSeen(const std::string& job_key, const std::vector<uint8_t>& extranonce2,
                               uint32_t ntime, uint32_t nonce, uint32_t version) {
  return seen_[job_key].insert(DedupeKey(extranonce2, ntime, nonce, version)).second;
}

ShareCheck ShareValidator::DecideStratum(const StratumShareIn& share) {
  const jobs::JobInfo* job = jobs_->FindJob(share.job_key);
  if (job == nullptr) {
    bool dead = jobs_->IsDead(share.job_key);
    return Refused(dead ? ShareState::kStale : ShareState::kUnknownUnit, stratum::kErrJobNotFound,
                   dead ? "Job not found (stale)" : "Job not found");
  }
  const jobs::UpstreamJob& uj = job->builder.job();
  const jobs::ExtranoncePartition& part = job->partition;
  if (job->stratum == nullptr || share.slot == 0 || share.slot > part.slots) {
    return Refused(ShareState::kUnknownUnit, stratum::kErrOther, "No extranonce slot for this job");
  }
  // extranonce1 as the miner was told: the pool's, then the slot's bytes.
  stratum::JobTerms terms{share.difficulty, uj.extranonce1, part.miner_bytes};
  std::vector<uint8_t> prefix = jobs::SlotPrefix(share.slot, part.prefix_bytes);
  terms.extranonce1.insert(terms.extranonce1.end(), prefix.begin(), prefix.end());
  stratum::ShareVerdict v = stratum::CheckShare(*job->stratum, terms, share.version_mask, share.params);
  ShareCheck c;
  c.difficulty = share.difficulty;
  c.pool_difficulty = uj.difficulty;
  if (!v.accepted) {
    c.state = v.code == stratum::kErrLowDifficulty ? ShareState::kBelowTarget : ShareState::kUnknownUnit;
    c.code = v.code;
    c.reason = v.reason;
    return c;
  }
  // The pool sees the full extranonce2: the slot's bytes, then the miner's.
  std::vector<uint8_t> en2 = prefix;
  en2.insert(en2.end(), share.params.extranonce2.begin(), share.params.extranonce2.end());
  if (!FirstSeen(share.job_key, en2, share.params.ntime, share.params.nonce, v.version)) {
    return Refused(ShareState::kDuplicate, stratum::kErrDuplicate, "Duplicate share");
  }
  c.block = v.block;
  if (v.hash > bitcoin::Uint256(job->builder.target())) {
    c.state = ShareState::kLocal;
    return c;
  }
  c.submit = jobs::UpstreamShare{uj.job_id,          en2,       share.params.ntime,
                                 share.params.nonce, uj.version_mask != 0,
                                 v.version & uj.version_mask, v.version};
  c.state = ShareState::kPending;
  return c;
}

ShareCheck ShareValidator::ValidateStratum(const StratumShareIn& share) {
  ShareCheck c = DecideStratum(share);
  ++counts_.found;
  Count(c.state, c.difficulty);
  if (c.block) LOG(WARNING) << "stratum share of job " << share.job_key << " meets the BLOCK target";
  return c;
}

void ShareValidator::DropJobs(const std::vector<std::string>& job_keys) {
  for (const std::string& k : job_keys) seen_.erase(k);
}

}  // namespace synth::shares
