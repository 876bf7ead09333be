// synth-pool's SV2 side: one client connection (handshake, setup, channel, shares).
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"
#include "common/sv2/target.h"
#include "master/pool/sv2_server_internal.h"

namespace synth::pool {
namespace {

using stratum::kErrDuplicate;
using stratum::kErrJobNotFound;
using stratum::kErrLowDifficulty;
using stratum::kErrOther;

// The SV2 error code for a V1 reject code (docs/DESIGN.md §9.3).
std::string ErrorCodeFor(int v1_code, const std::string& reason) {
  switch (v1_code) {
    case kErrJobNotFound:
      return "stale-share";
    case kErrDuplicate:
      return "duplicate-share";
    case kErrLowDifficulty:
      return "difficulty-too-low";
    default:
      return absl::StrCat("invalid-share: ", reason);
  }
}

}  // namespace

Sv2Connection::Sv2Connection(Sv2Server& server, asio::ip::tcp::socket socket,
                             sv2::ResponderCredentials credentials)
    : server_(server),
      socket_(std::move(socket)),
      handshake_timer_(server.pool().io_),
      channel_(sv2::SecureChannel::Responder(std::move(credentials), sv2::SystemRandom())) {}

void Sv2Connection::Start() {
  pool_difficulty_ = server_.pool().difficulty_;
  extranonce_size_ = server_.pool().options_.extranonce2_size;
  auto self = shared_from_this();
  handshake_timer_.expires_after(std::chrono::milliseconds(
      static_cast<int64_t>(server_.options().handshake_timeout_s * 1000)));
  handshake_timer_.async_wait([this, self](const asio::error_code& ec) {
    if (!ec && !closed_ && !open_) Drop(absl::DeadlineExceededError("no channel opened in time"));
  });
  Read();
}

void Sv2Connection::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  handshake_timer_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_.Forget(this);
}

void Sv2Connection::Drop(const absl::Status& why) {
  if (closed_) return;
  LOG(WARNING) << "synth-pool SV2: dropping client: " << why.message();
  {
    absl::MutexLock l(&server_.pool().stats_mu_);
    ++server_.pool().stats_.sv2_bad_input;
    server_.pool().stats_.last_message_error = std::string(why.message());
  }
  Close();
}

void Sv2Connection::Send(std::vector<uint8_t> bytes) {
  if (closed_) return;
  out_.push_back(std::move(bytes));
  if (!writing_) Write();
}

void Sv2Connection::Write() {
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(out_.front()),
                    [this, self](const asio::error_code& ec, size_t) {
                      out_.pop_front();
                      writing_ = false;
                      if (ec || closed_) return Close();
                      if (!out_.empty()) return Write();
                      if (close_after_write_) Close();
                    });
}

void Sv2Connection::SendMessage(const sv2::Message& m) {
  absl::StatusOr<sv2::Frame> f = sv2::EncodeMessage(m);
  absl::StatusOr<std::vector<uint8_t>> bytes =
      f.ok() ? channel_->Seal(*f) : absl::StatusOr<std::vector<uint8_t>>(f.status());
  if (!bytes.ok()) {
    LOG(ERROR) << "synth-pool SV2: cannot send " << sv2::MessageName(m) << ": " << bytes.status();
    return Close();
  }
  Send(std::move(*bytes));
}

void Sv2Connection::SendAndClose(const sv2::Message& m) {
  SendMessage(m);
  close_after_write_ = true;
}

void Sv2Connection::Read() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(buf_), [this, self](const asio::error_code& ec, size_t n) {
    if (closed_) return;
    if (ec) {
      if (size_t partial = channel_->buffered(); partial > 0) {
        return Drop(absl::DataLossError(absl::StrCat(
            "connection closed inside a truncated ",
            channel_->established() ? "frame" : "handshake message", " (", partial, " bytes)")));
      }
      return Close();
    }
    // A stalled pool reads nothing (the Noise stream is lost; the client will reconnect).
    if (server_.pool().stall_) return Read();
    absl::Status s = OnBytes(std::span<const uint8_t>(buf_.data(), n));
    if (closed_) return;
    if (!s.ok()) return Drop(s);
    Read();
  });
}

absl::Status Sv2Connection::OnBytes(std::span<const uint8_t> bytes) {
  std::vector<sv2::Frame> frames;
  std::vector<uint8_t> reply;
  absl::Status s = channel_->Feed(bytes, absl::Now(), &frames, &reply);
  if (!reply.empty()) Send(std::move(reply));  // Act 2.
  if (!s.ok()) return s;
  for (const sv2::Frame& f : frames) {
    if (closed_ || close_after_write_) break;
    absl::StatusOr<sv2::Message> m = sv2::DecodeMessage(f);
    if (absl::IsUnimplemented(m.status())) {
      LOG(INFO) << "synth-pool SV2: " << m.status().message() << "; ignored";
      continue;
    }
    if (!m.ok()) return m.status();
    if (absl::Status r = OnMessage(*m); !r.ok()) return r;
  }
  return absl::OkStatus();
}

absl::Status Sv2Connection::OnMessage(const sv2::Message& msg) {
  if (const auto* m = std::get_if<sv2::SetupConnection>(&msg)) {
    if (!setup_) OnSetup(*m);
    return absl::OkStatus();
  }
  if (!setup_) {
    return absl::InvalidArgumentError(
        absl::StrCat(sv2::MessageName(msg), " before SetupConnection"));
  }
  if (const auto* m = std::get_if<sv2::OpenExtendedMiningChannel>(&msg)) return OnOpenChannel(*m);
  if (const auto* m = std::get_if<sv2::OpenStandardMiningChannel>(&msg)) {
    SendMessage(sv2::OpenMiningChannelError{m->request_id, "standard-channels-not-supported"});
    return absl::OkStatus();
  }
  if (const auto* m = std::get_if<sv2::SubmitSharesExtended>(&msg)) {
    OnSubmit(*m);
    return absl::OkStatus();
  }
  if (const auto* m = std::get_if<sv2::UpdateChannel>(&msg)) {
    OnUpdateChannel(*m);
    return absl::OkStatus();
  }
  if (std::holds_alternative<sv2::CloseChannel>(msg)) {
    Close();
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unexpected ", sv2::MessageName(msg), " from a client"));
}

void Sv2Connection::OnSetup(const sv2::SetupConnection& m) {
  const uint32_t mask = server_.pool().options_.version_mask;
  if (m.protocol != sv2::kMiningProtocol) {
    return SendAndClose(sv2::SetupConnectionError{0, "unsupported-protocol"});
  }
  if (m.min_version > sv2::kProtocolVersion || m.max_version < sv2::kProtocolVersion) {
    return SendAndClose(sv2::SetupConnectionError{0, "protocol-version-mismatch"});
  }
  uint32_t unsupported = m.flags & (sv2::kRequiresStandardJobs | sv2::kRequiresWorkSelection |
                                    (mask == 0 ? sv2::kRequiresVersionRolling : 0));
  if (unsupported != 0) {
    LOG(INFO) << "synth-pool SV2: refusing setup flags " << unsupported;
    return SendAndClose(sv2::SetupConnectionError{unsupported, "unsupported-feature-flags"});
  }
  setup_ = true;
  version_mask_ = mask;
  SendMessage(sv2::SetupConnectionSuccess{
      sv2::kProtocolVersion,
      (mask == 0 ? sv2::kRequiresFixedVersion : 0) | sv2::kRequiresExtendedChannels});
}

absl::Status Sv2Connection::OnOpenChannel(const sv2::OpenExtendedMiningChannel& m) {
  if (open_) {
    SendMessage(sv2::OpenMiningChannelError{m.request_id, "one-channel-per-connection"});
    return absl::OkStatus();
  }
  if (m.min_extranonce_size > extranonce_size_) {
    SendMessage(sv2::OpenMiningChannelError{m.request_id, "min-extranonce-size-too-large"});
    return absl::OkStatus();
  }
  if (m.max_target != sv2::MaxTarget()) {
    absl::StatusOr<double> floor = sv2::DifficultyForTarget(m.max_target);
    if (!floor.ok()) {
      SendMessage(sv2::OpenMiningChannelError{m.request_id, "max-target-out-of-range"});
      return absl::OkStatus();
    }
    floor_difficulty_ = *floor;
  }
  user_ = m.user_identity;
  channel_id_ = server_.NextChannelId();
  extranonce_prefix_ = server_.pool().NextExtranonce1();
  difficulty_ = std::max(pool_difficulty_, floor_difficulty_);
  absl::StatusOr<sv2::U256> target = sv2::TargetForDifficulty(difficulty_);
  if (!target.ok()) return target.status();
  open_ = true;
  handshake_timer_.cancel();
  {
    absl::MutexLock l(&server_.pool().stats_mu_);
    ++server_.pool().stats_.sv2_channels;
    server_.pool().stats_.sv2_nominal_hash_rate = m.nominal_hash_rate;
  }
  SendMessage(sv2::OpenExtendedMiningChannelSuccess{m.request_id, channel_id_, *target,
                                                    static_cast<uint16_t>(extranonce_size_),
                                                    extranonce_prefix_, 0});
  if (const Sv2Job* job = server_.current_job()) {
    Sv2Job first = *job;
    first.new_prev_hash = true;  // A new channel starts from a prev hash.
    SendJob(first);
  }
  return absl::OkStatus();
}

void Sv2Connection::SendJob(const Sv2Job& job) {
  if (!open_ || closed_) return;
  if (job.new_prev_hash) terms_.clear();  // SetNewPrevHash: only this job is valid.
  terms_[job.id] = JobTerms{difficulty_, extranonce_prefix_, extranonce_size_};
  sv2::NewExtendedMiningJob m;
  m.channel_id = channel_id_;
  m.job_id = job.id;
  if (!job.new_prev_hash) m.min_ntime = job.job.ntime;
  m.version = job.job.version;
  m.version_rolling_allowed = version_mask_ != 0;
  m.merkle_path.assign(job.job.merkle_branch.begin(), job.job.merkle_branch.end());
  m.coinbase_tx_prefix = job.job.coinb1;
  m.coinbase_tx_suffix = job.job.coinb2;
  SendMessage(m);
  if (job.new_prev_hash) {
    SendMessage(
        sv2::SetNewPrevHash{channel_id_, job.id, job.job.prev_hash, job.job.ntime, job.job.nbits});
  }
}

void Sv2Connection::OnUpdateChannel(const sv2::UpdateChannel& m) {
  if (!open_ || m.channel_id != channel_id_) {
    return SendMessage(sv2::UpdateChannelError{m.channel_id, "invalid-channel-id"});
  }
  absl::StatusOr<double> floor = sv2::DifficultyForTarget(m.maximum_target);
  if (!floor.ok())
    return SendMessage(sv2::UpdateChannelError{m.channel_id, "max-target-out-of-range"});
  floor_difficulty_ = m.maximum_target == sv2::MaxTarget() ? 0 : *floor;
  {
    absl::MutexLock l(&server_.pool().stats_mu_);
    server_.pool().stats_.sv2_nominal_hash_rate = m.nominal_hash_rate;
  }
  UpdateTarget();
}

void Sv2Connection::SetPoolDifficulty(double difficulty) {
  pool_difficulty_ = difficulty;
  UpdateTarget();
}

void Sv2Connection::UpdateTarget() {
  double d = std::max(pool_difficulty_, floor_difficulty_);
  if (!open_ || d == difficulty_) return;
  absl::StatusOr<sv2::U256> target = sv2::TargetForDifficulty(d);
  if (!target.ok()) return;
  difficulty_ = d;  // Applies to jobs sent from now on.
  SendMessage(sv2::SetTarget{channel_id_, *target});
}

void Sv2Connection::ChangeExtranonce() {
  if (!open_) return;
  extranonce_prefix_ = server_.pool().NextExtranonce1();
  SendMessage(sv2::SetExtranoncePrefix{channel_id_, extranonce_prefix_});
}

void Sv2Connection::RejectShare(const sv2::SubmitSharesExtended& m, int v1_code,
                                std::string error_code) {
  {
    absl::MutexLock l(&server_.pool().stats_mu_);
    ++server_.pool().stats_.rejected[v1_code];
  }
  SendMessage(sv2::SubmitSharesError{m.channel_id, m.sequence_number, std::move(error_code)});
}

void Sv2Connection::OnSubmit(const sv2::SubmitSharesExtended& m) {
  PoolServer::Impl& pool = server_.pool();
  if (!open_ || m.channel_id != channel_id_) return RejectShare(m, kErrOther, "invalid-channel-id");
  if (pool.reject_all_code_ != 0) {
    return RejectShare(m, pool.reject_all_code_,
                       ErrorCodeFor(pool.reject_all_code_, "Rejected by test mode"));
  }
  const Sv2Job* job = server_.FindJob(m.job_id);
  auto terms = terms_.find(m.job_id);
  if (job == nullptr || terms == terms_.end())
    return RejectShare(m, kErrJobNotFound, "stale-share");
  std::string key = absl::StrCat(m.job_id, "/", bitcoin::BytesToHex(m.extranonce), "/", m.ntime,
                                 "/", m.nonce, "/", m.version);
  if (seen_shares_.contains(key)) return RejectShare(m, kErrDuplicate, "duplicate-share");
  if (((m.version ^ job->job.version) & ~version_mask_) != 0) {
    return RejectShare(m, kErrOther, "invalid-share: Invalid version mask");
  }
  stratum::SubmitParams p;
  p.worker = user_;
  p.job_id = job->pool_job_id;
  p.extranonce2 = m.extranonce;
  p.ntime = m.ntime;
  p.nonce = m.nonce;
  if (version_mask_ != 0) p.version_bits = m.version & version_mask_;
  auto t0 = std::chrono::steady_clock::now();
  ShareVerdict v = stratum::CheckShare(job->job, terms->second, version_mask_, p);
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    absl::MutexLock l(&pool.stats_mu_);
    ++pool.stats_.checked;
    pool.stats_.check_seconds += dt;
  }
  if (!v.accepted) return RejectShare(m, v.code, ErrorCodeFor(v.code, v.reason));
  seen_shares_.insert(std::move(key));
  {
    absl::MutexLock l(&pool.stats_mu_);
    ++pool.stats_.accepted;
    pool.stats_.accepted_work += terms->second.difficulty;
    if (v.block) ++pool.stats_.blocks;
  }
  SendMessage(
      sv2::SubmitSharesSuccess{channel_id_, m.sequence_number, 1,
                               static_cast<uint64_t>(std::llround(terms->second.difficulty))});
}

}  // namespace synth::pool
