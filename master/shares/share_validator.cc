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

ShareCheck Refused(v1::ShareState state, int code, std::string reason) {
  ShareCheck c;
  c.state = state;
  c.code = code;
  c.reason = std::move(reason);
  return c;
}

}  // namespace

ShareValidator::ShareValidator(const jobs::JobManager* jobs, const lease::LeaseManager* leases)
    : jobs_(jobs), leases_(leases) {}

ShareCheck ShareValidator::Validate(const ShareIn& share) {
  ShareCheck c;
  const lease::Unit* unit = leases_->FindUnit(share.unit_id);
  if (unit == nullptr) {
    bool dead = jobs_->IsDead(share.job_key);
    c.state = dead ? v1::SHARE_STATE_STALE : v1::SHARE_STATE_UNKNOWN_UNIT;
    c.reason = dead ? "job is no longer live" : absl::StrCat("unknown unit ", share.unit_id);
    return c;
  }
  const jobs::Midstate& m = *unit->midstate;
  uint64_t extent = std::max(unit->nonce_count, unit->leased_count);
  if (m.midstate_id != share.midstate_id || m.job_key != share.job_key ||
      share.nonce < unit->nonce_start || share.nonce - uint64_t{unit->nonce_start} >= extent) {
    c.state = v1::SHARE_STATE_UNKNOWN_UNIT;
    c.reason = absl::StrFormat("nonce %08x / midstate %d / job %s do not match unit %d",
                               share.nonce, share.midstate_id, share.job_key, share.unit_id);
    return c;
  }
  const jobs::JobInfo* job = jobs_->FindJob(m.job_key);
  if (job == nullptr) {
    c.state = v1::SHARE_STATE_STALE;
    c.reason = "job is no longer live";
    return c;
  }
  c.difficulty = m.difficulty;
  hash::Digest h = hash::HashNonce(m.work, share.nonce);
  if (!hash::MeetsTarget(h, m.work.target)) {
    bool near = hash::MeetsTarget(h, Times65536(m.work.target));
    c.state = near ? v1::SHARE_STATE_BELOW_TARGET : v1::SHARE_STATE_HARDWARE_ERROR;
    c.reason = near ? "hash above the share target" : "hash does not match (device error)";
    c.device_error = true;
    return c;
  }
  if (!FirstSeen(m.job_key, m.extranonce2, m.ntime, share.nonce, m.version)) {
    c.state = v1::SHARE_STATE_DUPLICATE;
    c.reason = "duplicate share";
    return c;
  }
  bitcoin::Uint256 hash_value = bitcoin::Uint256::FromHash(h);
  c.hash_difficulty = bitcoin::DifficultyFromTarget(hash_value);
  absl::StatusOr<bitcoin::Uint256> block = bitcoin::TargetFromBits(job->builder.job().notify.nbits);
  c.block = block.ok() && hash_value <= *block;
  if (c.block) LOG(WARNING) << "share of job " << share.job_key << " meets the BLOCK target";
  const jobs::UpstreamJob& uj = job->builder.job();
  c.submit = jobs::UpstreamShare{.job_id = uj.notify.job_id,
                                 .extranonce2 = m.extranonce2,
                                 .ntime = m.ntime,
                                 .nonce = share.nonce,
                                 .has_version_bits = uj.version_mask != 0,
                                 .version_bits = m.version_bits,
                                 .version = m.version,
                                 .difficulty = m.difficulty,
                                 .pool = uj.pool};
  c.state = v1::SHARE_STATE_PENDING;
  return c;
}

bool ShareValidator::FirstSeen(const std::string& job_key, const std::vector<uint8_t>& extranonce2,
                               uint32_t ntime, uint32_t nonce, uint32_t version) {
  return seen_[job_key].insert(DedupeKey(extranonce2, ntime, nonce, version)).second;
}

ShareCheck ShareValidator::ValidateStratum(const StratumShareIn& share) {
  const jobs::JobInfo* job = jobs_->FindJob(share.job_key);
  if (job == nullptr) {
    bool dead = jobs_->IsDead(share.job_key);
    return Refused(dead ? v1::SHARE_STATE_STALE : v1::SHARE_STATE_UNKNOWN_UNIT,
                   stratum::kErrJobNotFound, dead ? "Job not found (stale)" : "Job not found");
  }
  const jobs::UpstreamJob& uj = job->builder.job();
  const jobs::ExtranoncePartition& part = job->partition;
  if (job->stratum == nullptr || share.slot == 0 || share.slot > part.slots) {
    return Refused(v1::SHARE_STATE_UNKNOWN_UNIT, stratum::kErrOther,
                   "No extranonce slot for this job");
  }
  // extranonce1 as the miner was told: the pool's, then the slot's bytes.
  stratum::JobTerms terms{share.difficulty, uj.extranonce1, part.miner_bytes};
  std::vector<uint8_t> prefix = jobs::SlotPrefix(share.slot, part.prefix_bytes);
  terms.extranonce1.insert(terms.extranonce1.end(), prefix.begin(), prefix.end());
  stratum::ShareVerdict v =
      stratum::CheckShare(*job->stratum, terms, share.version_mask, share.params);
  if (!v.accepted) {
    ShareCheck c = Refused(v.code == stratum::kErrLowDifficulty ? v1::SHARE_STATE_BELOW_TARGET
                                                                : v1::SHARE_STATE_UNKNOWN_UNIT,
                           v.code, v.reason);
    c.difficulty = share.difficulty;
    return c;
  }
  // The pool sees the whole extranonce2: the slot's bytes, then the miner's.
  std::vector<uint8_t> en2 = prefix;
  en2.insert(en2.end(), share.params.extranonce2.begin(), share.params.extranonce2.end());
  if (!FirstSeen(share.job_key, en2, share.params.ntime, share.params.nonce, v.version)) {
    return Refused(v1::SHARE_STATE_DUPLICATE, stratum::kErrDuplicate, "Duplicate share");
  }
  ShareCheck c;
  c.difficulty = share.difficulty;
  c.hash_difficulty = v.share_difficulty;
  c.block = v.block;
  if (c.block) LOG(WARNING) << "stratum share of job " << share.job_key << " meets the BLOCK target";
  if (v.hash > bitcoin::Uint256(job->builder.target())) {
    c.state = v1::SHARE_STATE_LOCAL;
    return c;
  }
  c.submit = jobs::UpstreamShare{.job_id = uj.notify.job_id,
                                 .extranonce2 = std::move(en2),
                                 .ntime = share.params.ntime,
                                 .nonce = share.params.nonce,
                                 .has_version_bits = uj.version_mask != 0,
                                 .version_bits = v.version & uj.version_mask,
                                 .version = v.version,
                                 .difficulty = uj.difficulty,
                                 .pool = uj.pool};
  c.state = v1::SHARE_STATE_PENDING;
  return c;
}

void ShareValidator::DropJobs(const std::vector<std::string>& job_keys) {
  for (const std::string& k : job_keys) seen_.erase(k);
}

}  // namespace synth::shares
