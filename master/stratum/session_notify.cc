// Session: what the pool pushes (notify, set_difficulty, set_extranonce, set_version_mask,
// client.reconnect, client.show_message).
#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"
#include "master/stratum/session.h"

namespace synth::stratum {

using nlohmann::json;

absl::Status Session::OnNotification(const Message& m) {
  const std::string& method = m.method;
  if (method == "mining.notify") return OnNotify(m.params);
  if (method == "mining.set_difficulty") {
    absl::StatusOr<double> d = ParseDifficultyParams(m.params, method);
    if (!d.ok()) return d.status();
    difficulty_ = *d;  // Applies from the next mining.notify.
    return absl::OkStatus();
  }
  if (method == "mining.set_extranonce") {
    absl::StatusOr<Extranonce> e = ParseSetExtranonceParams(m.params);
    if (!e.ok()) return e.status();
    if (e->extranonce2_size > kClientMaxExtranonce2Size) {
      return absl::InvalidArgumentError(absl::StrCat("mining.set_extranonce: extranonce2_size ",
                                                     e->extranonce2_size, " over 8"));
    }
    LOG(INFO) << url_ << ": extranonce1 now " << bitcoin::BytesToHex(e->extranonce1)
              << " (from the next job)";
    extranonce1_ = e->extranonce1;
    extranonce2_size_ = e->extranonce2_size;
    return absl::OkStatus();
  }
  if (method == "mining.set_version_mask") {
    absl::StatusOr<uint32_t> mask = ParseSetVersionMaskParams(m.params);
    if (!mask.ok()) return mask.status();
    if (rolling_) version_mask_ = *mask & config_.version_mask;  // Valid at once (BIP 310).
    return absl::OkStatus();
  }
  if (method == "client.reconnect") {
    absl::StatusOr<ReconnectParams> p = ParseReconnectParams(m.params);
    if (!p.ok()) {
      LOG(WARNING) << url_ << ": ignoring " << p.status();
      return absl::OkStatus();
    }
    delegate_->OnReconnect(*p);
    return absl::OkStatus();
  }
  if (method == "client.show_message") {
    absl::StatusOr<std::string> text = ParseShowMessageParams(m.params);
    if (!text.ok()) {
      LOG(WARNING) << url_ << ": ignoring " << text.status();
      return absl::OkStatus();
    }
    LOG(INFO) << url_ << ": pool says: " << text->substr(0, 512);
    delegate_->OnShowMessage(*text);
    return absl::OkStatus();
  }
  LOG(WARNING) << url_ << ": ignoring unknown notification '" << method.substr(0, 64) << "'";
  return absl::OkStatus();
}

absl::Status Session::OnNotify(const json& params) {
  absl::StatusOr<StratumJob> job = ParseNotifyParams(params);
  if (!job.ok()) return job.status();
  if (!subscribed_) {
    LOG(WARNING) << url_ << ": mining.notify before the subscribe answer; ignored";
    return absl::OkStatus();
  }
  if (rolling_ && (job->version & version_mask_) != 0) {
    LOG(WARNING) << url_ << ": job " << job->job_id << " version "
                 << bitcoin::U32ToHexBigEndian(job->version)
                 << " has bits inside the rolling mask (they are replaced when rolling)";
  }
  ClientJob out;
  out.job = std::move(*job);
  // The first job of a new (not resumed) session makes all earlier work useless.
  if (first_job_ && !resumed_) out.job.clean_jobs = true;
  first_job_ = false;
  out.difficulty = difficulty_;
  out.extranonce1 = extranonce1_;
  out.extranonce2_size = extranonce2_size_;
  out.version_mask = rolling_ ? version_mask_ : 0;
  out.pool_url = url_;
  out.connection = connection_;
  RememberJob(out.job.job_id, out.job.clean_jobs);
  job_difficulty_[out.job.job_id] = difficulty_;
  delegate_->OnJob(out);
  return absl::OkStatus();
}

void Session::RememberJob(const std::string& job_id, bool clean) {
  if (clean) {
    jobs_.clear();
    job_order_.clear();
    job_difficulty_.clear();
  }
  if (jobs_.insert(job_id).second) job_order_.push_back(job_id);
  while (job_order_.size() > kMaxKnownJobs) {
    jobs_.erase(job_order_.front());
    job_difficulty_.erase(job_order_.front());
    job_order_.pop_front();
  }
}

}  // namespace synth::stratum
