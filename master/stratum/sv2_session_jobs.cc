// Sv2Session: what the pool pushes on the channel (jobs, new prev hashes, targets, extranonce
// prefixes) and how it becomes ClientJobs.
#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/bitcoin/uint256.h"
#include "common/logging.h"
#include "common/sv2/target.h"
#include "master/stratum/sv2_session.h"

namespace synth::stratum {
namespace {

constexpr size_t kMaxFutureJobs = 16;

}  // namespace

absl::Status Sv2Session::OnNewJob(sv2::NewExtendedMiningJob m) {
  if (m.coinbase_tx_prefix.size() > kMaxCoinbasePartBytes ||
      m.coinbase_tx_suffix.size() > kMaxCoinbasePartBytes ||
      m.merkle_path.size() > kMaxMerkleBranch) {
    return absl::InvalidArgumentError(absl::StrCat(
        "NewExtendedMiningJob ", m.job_id, ": coinbase parts of ", m.coinbase_tx_prefix.size(), "+",
        m.coinbase_tx_suffix.size(), " bytes, ", m.merkle_path.size(), " merkle hashes (limits ",
        kMaxCoinbasePartBytes, " and ", kMaxMerkleBranch, ")"));
  }
  if (m.min_ntime) {
    if (!prev_hash_) {
      return absl::InvalidArgumentError(absl::StrCat("NewExtendedMiningJob ", m.job_id,
                                                     " with min_ntime before any SetNewPrevHash"));
    }
    return Deliver(m, extranonce_prefix_, *m.min_ntime, /*clean=*/false);
  }
  uint32_t id = m.job_id;
  future_jobs_[id] = FutureJob{std::move(m), extranonce_prefix_};
  if (future_jobs_.size() > kMaxFutureJobs) future_jobs_.erase(future_jobs_.begin());
  return absl::OkStatus();
}

absl::Status Sv2Session::OnPrevHash(const sv2::SetNewPrevHash& m) {
  if (!bitcoin::TargetFromBits(m.nbits).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("SetNewPrevHash: nbits ", bitcoin::U32ToHexBigEndian(m.nbits), " is invalid"));
  }
  prev_hash_ = m;
  auto it = future_jobs_.find(m.job_id);
  if (it == future_jobs_.end()) {
    // Every earlier job is dead; work resumes with the next job that names a min_ntime.
    LOG(WARNING) << url_ << ": SetNewPrevHash for unknown job " << m.job_id
                 << "; earlier jobs dropped";
    jobs_.clear();
    job_order_.clear();
    future_jobs_.clear();
    return absl::OkStatus();
  }
  FutureJob job = std::move(it->second);
  future_jobs_.clear();
  return Deliver(job.job, job.extranonce_prefix, m.min_ntime, /*clean=*/true);
}

absl::Status Sv2Session::OnTarget(const sv2::U256& target) {
  absl::StatusOr<double> d = sv2::DifficultyForTarget(target);
  if (!d.ok()) return d.status();
  if (*d != difficulty_) {
    VLOG(1) << url_ << ": target " << sv2::FromU256(target).ToDisplayHex() << " = difficulty " << *d
            << " (from the next job)";
  }
  difficulty_ = *d;
  return absl::OkStatus();
}

absl::Status Sv2Session::OnExtranoncePrefix(const sv2::SetExtranoncePrefix& m) {
  if (m.extranonce_prefix.size() + static_cast<size_t>(extranonce_size_) >
      sv2::kMaxFullExtranonce) {
    return absl::InvalidArgumentError(absl::StrCat("SetExtranoncePrefix of ",
                                                   m.extranonce_prefix.size(), " bytes with ",
                                                   extranonce_size_, " bytes of extranonce"));
  }
  LOG(INFO) << url_ << ": extranonce prefix now " << bitcoin::BytesToHex(m.extranonce_prefix)
            << " (from the next job)";
  extranonce_prefix_ = m.extranonce_prefix;
  return absl::OkStatus();
}

absl::Status Sv2Session::Deliver(const sv2::NewExtendedMiningJob& m,
                                 const std::vector<uint8_t>& extranonce_prefix, uint32_t ntime,
                                 bool clean) {
  const int rolled = std::min(extranonce_size_, kClientMaxExtranonce2Size);
  ClientJob out;
  out.job.job_id = absl::StrCat(m.job_id);
  out.job.prev_hash = prev_hash_->prev_hash;
  out.job.coinb1 = m.coinbase_tx_prefix;
  // Extranonce bytes the master does not roll stay zero: they lead coinb2.
  out.job.coinb2.assign(static_cast<size_t>(extranonce_size_ - rolled), 0);
  out.job.coinb2.insert(out.job.coinb2.end(), m.coinbase_tx_suffix.begin(),
                        m.coinbase_tx_suffix.end());
  out.job.merkle_branch.assign(m.merkle_path.begin(), m.merkle_path.end());
  out.job.version = m.version;
  out.job.nbits = prev_hash_->nbits;
  out.job.ntime = ntime;
  out.job.clean_jobs = clean || first_job_;  // The first job of a connection: nothing resumes.
  first_job_ = false;
  out.difficulty = difficulty_;
  out.extranonce1 = extranonce_prefix;
  out.extranonce2_size = rolled;
  bool roll = config_.version_rolling && rolling_allowed_ && m.version_rolling_allowed;
  if (config_.version_rolling && rolling_allowed_ && !m.version_rolling_allowed) {
    LOG_FIRST_N(WARNING, 10) << url_ << ": job " << m.job_id
                             << " forbids version rolling although we required it";
  }
  out.version_mask = roll ? config_.version_mask : 0;
  if (roll && (m.version & config_.version_mask) != 0) {
    LOG(WARNING) << url_ << ": job " << m.job_id << " version "
                 << bitcoin::U32ToHexBigEndian(m.version)
                 << " has bits inside the rolling mask (they are replaced when rolling)";
  }
  out.pool_url = url_;
  out.connection = connection_;
  RememberJob(out.job.job_id, out.job.clean_jobs);
  delegate_->OnJob(out);
  return absl::OkStatus();
}

void Sv2Session::RememberJob(const std::string& job_id, bool clean) {
  if (clean) {
    jobs_.clear();
    job_order_.clear();
  }
  if (jobs_.insert(job_id).second) job_order_.push_back(job_id);
  while (job_order_.size() > kMaxKnownJobs) {
    jobs_.erase(job_order_.front());
    job_order_.pop_front();
  }
}

}  // namespace synth::stratum
