#include "master/stratum/sv2_session.h"

#include <cmath>

#include "absl/algorithm/container.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"
#include "common/sv2/target.h"

namespace synth::stratum {
namespace {

constexpr uint32_t kOpenRequestId = 1;

// SubmitShares.Error codes and the V1 verdicts they become (docs/DESIGN.md §9.3). The code is
// matched up to its first ':' or space; unknown codes are "other".
struct ErrorVerdict {
  absl::string_view code;
  SubmitOutcome outcome;
  int v1_code;
};
constexpr ErrorVerdict kSubmitErrors[] = {
    {"stale-share", SubmitOutcome::kStale, kErrJobNotFound},
    {"invalid-job-id", SubmitOutcome::kStale, kErrJobNotFound},
    {"duplicate-share", SubmitOutcome::kRejected, kErrDuplicate},
    {"difficulty-too-low", SubmitOutcome::kRejected, kErrLowDifficulty},
};

SubmitResult VerdictFor(const std::string& error_code) {
  absl::string_view token = error_code;
  token = token.substr(0, token.find_first_of(": "));
  SubmitResult r{SubmitOutcome::kRejected, kErrOther, error_code, true};
  for (const ErrorVerdict& v : kSubmitErrors) {
    if (token == v.code) {
      r.outcome = v.outcome;
      r.code = v.v1_code;
    }
  }
  return r;
}

}  // namespace

Sv2Session::Sv2Session(Sv2SessionConfig config, Delegate* delegate, uint64_t connection,
                       std::string url)
    : config_(std::move(config)),
      delegate_(delegate),
      connection_(connection),
      url_(std::move(url)) {}

void Sv2Session::Send(const sv2::Message& m) {
  absl::StatusOr<sv2::Frame> f = sv2::EncodeMessage(m);
  if (!f.ok()) {
    LOG(ERROR) << url_ << ": cannot encode " << sv2::MessageName(m) << ": " << f.status();
    return;
  }
  delegate_->SendFrame(std::move(*f));
}

void Sv2Session::Begin(absl::Time now) {
  begun_ = now;
  last_rx_ = now;
  sv2::SetupConnection m;
  m.flags = config_.version_rolling ? sv2::kRequiresVersionRolling : 0;
  m.endpoint_host = config_.endpoint_host;
  m.endpoint_port = static_cast<uint16_t>(config_.endpoint_port);
  m.vendor = "synth";
  m.hardware_version = "synth-master";
  m.firmware = config_.user_agent;
  Send(m);
}

sv2::U256 Sv2Session::MaximumTarget() const {
  if (!config_.suggest_difficulty) return sv2::MaxTarget();
  absl::StatusOr<sv2::U256> t = sv2::TargetForDifficulty(*config_.suggest_difficulty);
  return t.ok() ? *t : sv2::MaxTarget();
}

absl::Status Sv2Session::OnFrame(const sv2::Frame& frame, absl::Time now) {
  last_rx_ = now;
  absl::StatusOr<sv2::Message> m = sv2::DecodeMessage(frame);
  if (absl::IsUnimplemented(m.status())) {
    LOG_FIRST_N(WARNING, 20) << url_ << ": " << m.status().message() << "; ignored";
    return absl::OkStatus();
  }
  if (!m.ok()) return m.status();
  return OnMessage(std::move(*m));
}

absl::Status Sv2Session::OnMessage(sv2::Message msg) {
  if (auto* m = std::get_if<sv2::SetupConnectionSuccess>(&msg)) return OnSetupSuccess(*m);
  if (auto* m = std::get_if<sv2::SetupConnectionError>(&msg)) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "SetupConnection refused: '%s' (unsupported flags %#x)", m->error_code, m->flags));
  }
  if (auto* m = std::get_if<sv2::OpenExtendedMiningChannelSuccess>(&msg)) {
    return OnChannelOpen(*m);
  }
  if (auto* m = std::get_if<sv2::OpenMiningChannelError>(&msg)) {
    return absl::PermissionDeniedError(absl::StrCat("OpenExtendedMiningChannel refused for user '",
                                                    config_.user, "': ", m->error_code));
  }
  if (auto* m = std::get_if<sv2::Reconnect>(&msg)) {
    delegate_->OnReconnect(ReconnectParams{
        m->new_host, m->new_port == 0 ? std::nullopt : std::optional<int>(m->new_port), 0});
    return absl::OkStatus();
  }
  if (!channel_open_) {
    LOG(WARNING) << url_ << ": " << sv2::MessageName(msg) << " before the channel opened; ignored";
    return absl::OkStatus();
  }
  return OnChannelMessage(std::move(msg));
}

absl::Status Sv2Session::OnChannelMessage(sv2::Message msg) {
  if (auto* m = std::get_if<sv2::NewExtendedMiningJob>(&msg)) {
    return ForUs(m->channel_id) ? OnNewJob(std::move(*m)) : absl::OkStatus();
  }
  if (auto* m = std::get_if<sv2::SetNewPrevHash>(&msg)) {
    return ForUs(m->channel_id) ? OnPrevHash(*m) : absl::OkStatus();
  }
  if (auto* m = std::get_if<sv2::SetTarget>(&msg)) {
    return ForUs(m->channel_id) ? OnTarget(m->maximum_target) : absl::OkStatus();
  }
  if (auto* m = std::get_if<sv2::SetExtranoncePrefix>(&msg)) {
    return m->channel_id == channel_id_ ? OnExtranoncePrefix(*m) : absl::OkStatus();
  }
  if (auto* m = std::get_if<sv2::SubmitSharesSuccess>(&msg)) {
    OnSubmitSuccess(*m);
  } else if (auto* m = std::get_if<sv2::SubmitSharesError>(&msg)) {
    OnSubmitError(*m);
  } else if (auto* m = std::get_if<sv2::CloseChannel>(&msg)) {
    if (ForUs(m->channel_id)) {
      return absl::UnavailableError(absl::StrCat("pool closed the channel: ", m->reason_code));
    }
  } else if (auto* m = std::get_if<sv2::UpdateChannelError>(&msg)) {
    LOG(WARNING) << url_ << ": UpdateChannel refused: " << m->error_code;
  } else if (auto* m = std::get_if<sv2::SetGroupChannel>(&msg)) {
    if (absl::c_linear_search(m->channel_ids, channel_id_)) group_channel_id_ = m->group_channel_id;
  } else if (!std::holds_alternative<sv2::ChannelEndpointChanged>(msg)) {
    LOG_FIRST_N(WARNING, 20) << url_ << ": unexpected " << sv2::MessageName(msg)
                             << " from the pool; ignored";
  }
  return absl::OkStatus();
}

absl::Status Sv2Session::OnSetupSuccess(const sv2::SetupConnectionSuccess& m) {
  if (setup_done_) return absl::OkStatus();
  if (m.used_version != sv2::kProtocolVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("SetupConnection.Success with version ", m.used_version, ", we speak 2"));
  }
  if (m.flags & sv2::kRequiresFixedVersion) {
    rolling_allowed_ = false;
    if (config_.version_rolling) {
      LOG(WARNING) << url_ << ": pool requires a fixed version; no version rolling";
    }
  }
  setup_done_ = true;
  sv2::OpenExtendedMiningChannel open;
  open.request_id = kOpenRequestId;
  open.user_identity = config_.user;
  open.nominal_hash_rate = static_cast<float>(config_.nominal_hash_rate);
  open.max_target = MaximumTarget();
  open.min_extranonce_size = static_cast<uint16_t>(config_.min_extranonce_size);
  Send(open);
  return absl::OkStatus();
}

absl::Status Sv2Session::OnChannelOpen(const sv2::OpenExtendedMiningChannelSuccess& m) {
  if (channel_open_ || m.request_id != kOpenRequestId) {
    LOG(WARNING) << url_ << ": unexpected OpenExtendedMiningChannel.Success; ignored";
    return absl::OkStatus();
  }
  if (m.extranonce_size == 0 ||
      m.extranonce_prefix.size() + m.extranonce_size > sv2::kMaxFullExtranonce) {
    return absl::InvalidArgumentError(
        absl::StrCat("OpenExtendedMiningChannel.Success: extranonce_size ", m.extranonce_size,
                     " with a ", m.extranonce_prefix.size(), "-byte prefix (need 1..32 in all)"));
  }
  if (absl::Status s = OnTarget(m.target); !s.ok()) return s;
  channel_id_ = m.channel_id;
  group_channel_id_ = m.group_channel_id;
  extranonce_prefix_ = m.extranonce_prefix;
  extranonce_size_ = m.extranonce_size;
  channel_open_ = true;
  LOG(INFO) << url_ << ": SV2 channel " << channel_id_ << " open: extranonce prefix "
            << bitcoin::BytesToHex(extranonce_prefix_) << " + " << extranonce_size_
            << " bytes, difficulty " << difficulty_;
  delegate_->OnReady();
  return absl::OkStatus();
}

bool Sv2Session::ForUs(uint32_t channel_id) const {
  if (channel_id == channel_id_ || channel_id == group_channel_id_) return true;
  LOG_FIRST_N(WARNING, 20) << url_ << ": message for channel " << channel_id << " ignored";
  return false;
}

void Sv2Session::Submit(const ClientShare& share, SubmitDone done, absl::Time now) {
  if (!channel_open_) {
    done(SubmitResult{SubmitOutcome::kPoolDown, 0, "SV2 channel not open", false});
    return;
  }
  uint32_t job_id = 0;
  if (!absl::SimpleAtoi(share.job_id, &job_id)) {
    done(SubmitResult{SubmitOutcome::kRejected, kErrOther,
                      absl::StrCat("job id '", share.job_id, "' is not an SV2 job id"), false});
    return;
  }
  sv2::SubmitSharesExtended m;
  m.channel_id = channel_id_;
  m.sequence_number = next_sequence_++;
  m.job_id = job_id;
  m.nonce = share.nonce;
  m.ntime = share.ntime;
  m.version = share.version;
  m.extranonce = share.extranonce2;
  // Channel bytes beyond what the master rolls are zeros (see ClientJob's coinb2).
  size_t padding =
      static_cast<size_t>(extranonce_size_ - std::min(extranonce_size_, kClientMaxExtranonce2Size));
  m.extranonce.resize(m.extranonce.size() + padding, 0);
  if (m.extranonce.size() > sv2::kMaxFullExtranonce) {
    done(SubmitResult{SubmitOutcome::kRejected, kErrOther, "extranonce over 32 bytes", false});
    return;
  }
  pending_[m.sequence_number] = Pending{share, std::move(done), now + config_.submit_timeout};
  Send(m);
}

void Sv2Session::OnSubmitSuccess(const sv2::SubmitSharesSuccess& m) {
  uint32_t accepted = 0;
  while (!pending_.empty() && pending_.begin()->first <= m.last_sequence_number) {
    SubmitDone done = std::move(pending_.begin()->second.done);
    pending_.erase(pending_.begin());
    ++accepted;
    done(SubmitResult{SubmitOutcome::kAccepted, 0, "", true});
  }
  if (accepted != m.new_submits_accepted_count) {
    LOG_EVERY_N(WARNING, 100) << url_ << ": SubmitShares.Success up to " << m.last_sequence_number
                              << " counts " << m.new_submits_accepted_count << " shares, "
                              << accepted << " were waiting";
  }
}

void Sv2Session::OnSubmitError(const sv2::SubmitSharesError& m) {
  auto it = pending_.find(m.sequence_number);
  if (it == pending_.end()) {
    LOG(WARNING) << url_ << ": SubmitShares.Error for unknown sequence " << m.sequence_number
                 << " (" << m.error_code << "); ignored";
    return;
  }
  SubmitDone done = std::move(it->second.done);
  pending_.erase(it);
  SubmitResult r = VerdictFor(m.error_code);
  LOG(INFO) << url_ << ": share " << OutcomeName(r.outcome) << ": " << m.error_code;
  done(r);
}

void Sv2Session::AbortPending(SubmitOutcome outcome, const std::string& reason) {
  std::map<uint32_t, Pending> pending = std::move(pending_);
  pending_.clear();
  for (auto& [seq, p] : pending) p.done(SubmitResult{outcome, 0, reason, true});
}

std::vector<Session::Unanswered> Sv2Session::TakePendingSubmits() {
  std::vector<Session::Unanswered> out;
  for (auto& [seq, p] : pending_) {
    out.push_back(Session::Unanswered{std::move(p.share), std::move(p.done), p.deadline});
  }
  pending_.clear();
  return out;
}

void Sv2Session::SetNominalHashrate(double hashes_per_second, absl::Time now) {
  // F32 on the wire: no NaN, no negative rate; a rate past 3.4e38 h/s is not a cluster.
  if (!std::isfinite(hashes_per_second) || hashes_per_second < 0) hashes_per_second = 0;
  config_.nominal_hash_rate = std::min(hashes_per_second, 3e38);
  update_due_ = true;
  MaybeUpdateChannel(now);
}

void Sv2Session::SuggestDifficulty(double difficulty, absl::Time now) {
  config_.suggest_difficulty = difficulty;
  update_due_ = true;
  MaybeUpdateChannel(now);
}

void Sv2Session::MaybeUpdateChannel(absl::Time now) {
  if (!channel_open_ || !update_due_ || now < next_update_) return;
  Send(sv2::UpdateChannel{channel_id_, static_cast<float>(config_.nominal_hash_rate),
                          MaximumTarget()});
  update_due_ = false;
  next_update_ = now + config_.update_interval;
}

absl::Status Sv2Session::Tick(absl::Time now) {
  if (!channel_open_ && now - begun_ > config_.request_timeout) {
    return absl::DeadlineExceededError(setup_done_ ? "OpenExtendedMiningChannel got no answer"
                                                   : "SetupConnection got no answer");
  }
  if (channel_open_ && now - last_rx_ > config_.stall_timeout) {
    return absl::UnavailableError(absl::StrCat("pool stalled: no data for ",
                                               absl::FormatDuration(now - last_rx_),
                                               "; treating the connection as dead"));
  }
  size_t late = 0;
  for (const auto& [seq, p] : pending_) late += p.deadline <= now ? 1 : 0;
  if (late > 0) {
    // Unanswered shares stay pending: the client resends or ends them, never "rejected".
    return absl::DeadlineExceededError(absl::StrCat(late, " SubmitSharesExtended unanswered for ",
                                                    absl::FormatDuration(config_.submit_timeout),
                                                    "; treating the connection as dead"));
  }
  MaybeUpdateChannel(now);
  return absl::OkStatus();
}

}  // namespace synth::stratum
