// synth-pool: one client connection — the socket, and the pool's answers to what the shared
// session core (common/stratum/server_session.h) asks.
#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"
#include "master/pool/server_internal.h"

namespace synth::pool {

using nlohmann::json;
using stratum::Message;
using stratum::RpcError;

Session::Session(PoolServer::Impl& server, asio::ip::tcp::socket socket)
    : server_(server), socket_(std::move(socket)), core_({}, this) {}

void Session::Start() {
  difficulty_ = server_.difficulty_;
  Read();
}

void Session::Close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_.Forget(this);
}

void Session::Send(std::string line) { Write(std::make_shared<const std::string>(std::move(line))); }

void Session::Write(stratum::SharedLine line) {
  if (closed_) return;
  out_.push_back(std::move(line));
  if (!writing_) WriteNext();
}

void Session::WriteNext() {
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(*out_.front()),
                    [this, self](const asio::error_code& ec, size_t) {
                      out_.pop_front();
                      writing_ = false;
                      if (ec) return Close();
                      if (!out_.empty()) WriteNext();
                    });
}

void Session::Read() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(buf_), [this, self](const asio::error_code& ec, size_t n) {
    if (ec || closed_) return Close();
    if (server_.stall_) return Read();  // Stalled: what the client says is ignored.
    absl::Status s = core_.Feed(absl::string_view(buf_.data(), n), absl::Now());
    if (closed_) return;
    if (!s.ok()) {
      LOG(WARNING) << "synth-pool: dropping client: " << s;
      absl::MutexLock l(&server_.stats_mu_);
      ++server_.stats_.bad_lines;
      server_.stats_.last_message_error = std::string(s.message());
    }
    if (!s.ok()) return Close();
    Read();
  });
}

void Session::OnClientResponse(const Message& m) {
  if (m.result.is_string()) {  // Our client.get_version.
    absl::MutexLock l(&server_.stats_mu_);
    server_.stats_.last_client_version = m.result.get<std::string>();
  }
}

uint32_t Session::ServerVersionMask() const { return server_.options_.version_mask; }

void Session::OnDifficultyRequest(double difficulty, bool minimum) {
  if (minimum) {
    min_difficulty_ = difficulty;
    difficulty_ = std::max(difficulty_, min_difficulty_);
    return;  // Sent with the subscribe answer, as the pool always did.
  }
  difficulty_ = difficulty;
  core_.SendDifficulty(difficulty_);
}

absl::StatusOr<std::optional<stratum::Extranonce>> Session::OnSubscribe(
    const stratum::SubscribeParams& p) {
  std::vector<uint8_t> en1;
  if (p.session_id) {
    auto it = server_.resumable_.find(*p.session_id);
    if (it != server_.resumable_.end()) {
      // A resumed session keeps its extranonce1 and its jobs: shares found before the
      // disconnect still count (what cgminer relies on when it resubmits).
      en1 = it->second.extranonce1;
      core_.RestoreTerms(std::move(it->second.terms));
      seen_shares_ = std::move(it->second.seen_shares);
      server_.resumable_.erase(it);
      resumed_ = true;
    }
  }
  if (en1.empty()) en1 = server_.NextExtranonce1();
  return std::optional<stratum::Extranonce>({en1, server_.options_.extranonce2_size});
}

void Session::OnSubscribed() {
  core_.SendDifficulty(difficulty_);
  if (const stratum::StratumJob* job = server_.current_job()) {
    stratum::StratumJob first = *job;
    first.clean_jobs = !resumed_;
    server_.NotifyJob(*this, first);
  }
}

bool Session::OnAuthorize(const stratum::AuthorizeParams& p) {
  if (DeferAuthorize()) {
    auto timer = std::make_shared<asio::steady_timer>(server_.io_, std::chrono::milliseconds(50));
    auto self = shared_from_this();
    timer->async_wait([this, self, timer](const asio::error_code& ec) {
      if (!ec && !closed_) core_.CompleteAuthorizes();
    });
  }
  return server_.options_.password.empty() || p.pass == server_.options_.password;
}

bool Session::DeferAuthorize() const {
  return server_.options_.extranonce_subscribe == ExtranonceSubscribeMode::kAfterAuthorize;
}

bool Session::OnExtranonceSubscribe() {
  ExtranonceSubscribeMode mode = server_.options_.extranonce_subscribe;
  bool unauthorized = core_.first_user().empty();
  bool ignore = mode == ExtranonceSubscribeMode::kIgnore ||
                (mode == ExtranonceSubscribeMode::kAfterAuthorize && unauthorized);
  absl::MutexLock l(&server_.stats_mu_);
  if (ignore) {  // No answer at all, as ckpool does before authorize.
    LOG(INFO) << "synth-pool: Rejecting mining.extranonce.subscribe from "
              << (unauthorized ? "unauthorised client" : "client (mode ignore)");
    ++server_.stats_.extranonce_ignored;
    return false;
  }
  ++server_.stats_.extranonce_subscribes;
  return true;
}

void Session::CountReject(int code) {
  absl::MutexLock l(&server_.stats_mu_);
  ++server_.stats_.rejected[code];
}

void Session::OnSubmitRefused(const stratum::SubmitParams*, int code, bool) { CountReject(code); }

void Session::OnSubmit(stratum::SubmitRequest r) {
  auto reject = [&](int code, std::string reason) {
    CountReject(code);
    core_.AnswerSubmit(r.id, RpcError{code, std::move(reason), ""});
  };
  const stratum::SubmitParams& p = r.params;
  if (server_.reject_all_code_ != 0) return reject(server_.reject_all_code_, "Rejected by test mode");
  const stratum::StratumJob* job = server_.FindJob(p.job_id);
  if (job == nullptr) return reject(stratum::kErrJobNotFound, "Job not found");
  std::string key = absl::StrCat(p.job_id, "/", bitcoin::BytesToHex(p.extranonce2), "/", p.ntime,
                                 "/", p.nonce, "/", p.version_bits.value_or(0));
  if (seen_shares_.contains(key)) return reject(stratum::kErrDuplicate, "Duplicate share");
  auto t0 = std::chrono::steady_clock::now();
  stratum::ShareVerdict v = stratum::CheckShare(*job, r.terms, r.version_mask, p);
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    absl::MutexLock l(&server_.stats_mu_);
    ++server_.stats_.checked;
    server_.stats_.check_seconds += dt;
  }
  if (!v.accepted) return reject(v.code, v.reason);
  seen_shares_.insert(std::move(key));
  {
    absl::MutexLock l(&server_.stats_mu_);
    ++server_.stats_.accepted;
    server_.stats_.accepted_work += r.terms.difficulty;
    if (v.block) ++server_.stats_.blocks;
  }
  core_.AnswerSubmit(r.id, std::nullopt);
}

}  // namespace synth::pool
