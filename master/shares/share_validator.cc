#include "master/shares/share_validator.h"

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
  auto [it, inserted] = seen_[m.job_key].insert(DedupeKey(m, share.nonce));
  if (!inserted) {
    c.state = v1::SHARE_STATE_DUPLICATE;
    c.reason = "duplicate share";
    return c;
  }
  absl::StatusOr<bitcoin::Uint256> block = bitcoin::TargetFromBits(job->builder.job().notify.nbits);
  c.block = block.ok() && bitcoin::Uint256::FromHash(h) <= *block;
  if (c.block) LOG(WARNING) << "share of job " << share.job_key << " meets the BLOCK target";
  const jobs::UpstreamJob& uj = job->builder.job();
  c.submit = jobs::UpstreamShare{.job_id = uj.notify.job_id,
                                 .extranonce2 = m.extranonce2,
                                 .ntime = m.ntime,
                                 .nonce = share.nonce,
                                 .has_version_bits = uj.version_mask != 0,
                                 .version_bits = m.version_bits,
                                 .version = m.version,
                                 .difficulty = m.difficulty};
  c.state = v1::SHARE_STATE_PENDING;
  return c;
}

void ShareValidator::DropJobs(const std::vector<std::string>& job_keys) {
  for (const std::string& k : job_keys) seen_.erase(k);
}

}  // namespace synth::shares
