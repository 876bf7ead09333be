#include "common/stratum/share_check.h"

#include "absl/strings/str_cat.h"
#include "common/bitcoin/uint256.h"

namespace synth::stratum {
namespace {

ShareVerdict Reject(int code, std::string reason) {
  ShareVerdict v;
  v.code = code;
  v.reason = std::move(reason);
  return v;
}

}  // namespace

ShareVerdict CheckShare(const StratumJob& job, const JobTerms& terms, uint32_t version_mask,
                        const SubmitParams& share) {
  if (share.extranonce2.size() != static_cast<size_t>(terms.extranonce2_size)) {
    return Reject(kErrOther, absl::StrCat("Invalid extranonce2 size ", share.extranonce2.size(),
                                          " (expected ", terms.extranonce2_size, ")"));
  }
  if (share.ntime < job.ntime || share.ntime - job.ntime > kNtimeWindowS) {
    return Reject(kErrOther, "Ntime out of range");
  }
  uint32_t version = job.version;
  if (share.version_bits) {
    if (version_mask == 0) return Reject(kErrOther, "Version rolling not negotiated");
    if ((*share.version_bits & ~version_mask) != 0) {
      return Reject(kErrOther, "Invalid version mask");
    }
    version = (job.version & ~version_mask) | (*share.version_bits & version_mask);
  }
  bitcoin::BlockHeader header = BuildHeader(job, terms.extranonce1, share.extranonce2, version,
                                            share.ntime, share.nonce);
  bitcoin::Uint256 hash = bitcoin::Uint256::FromHash(header.Hash());
  absl::StatusOr<bitcoin::Uint256> target = bitcoin::TargetFromDifficulty(terms.difficulty);
  if (!target.ok()) return Reject(kErrOther, "Bad session difficulty");
  ShareVerdict v;
  v.hash = hash;
  v.version = version;
  v.share_difficulty = bitcoin::DifficultyFromTarget(hash);
  if (hash > *target) {
    v.code = kErrLowDifficulty;
    v.reason = "Low difficulty share";
    return v;
  }
  absl::StatusOr<bitcoin::Uint256> block = bitcoin::TargetFromBits(job.nbits);
  v.block = block.ok() && hash <= *block;
  v.accepted = true;
  return v;
}

}  // namespace synth::stratum
