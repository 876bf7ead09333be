// synth-pool: one client connection (the protocol side of server.h).
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"
#include "master/pool/server_internal.h"

namespace synth::pool {

using nlohmann::json;
using stratum::Message;
using stratum::RpcError;

Session::Session(PoolServer::Impl& server, asio::ip::tcp::socket socket)
    : server_(server), socket_(std::move(socket)) {}

void Session::Start() {
  difficulty_ = server_.difficulty_;
  extranonce2_size_ = server_.options_.extranonce2_size;
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

void Session::Send(std::string line) {
  if (closed_) return;
  out_.push_back(std::move(line));
  if (!writing_) Write();
}

void Session::Write() {
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(out_.front()),
                    [this, self](const asio::error_code& ec, size_t) {
                      out_.pop_front();
                      writing_ = false;
                      if (ec) return Close();
                      if (!out_.empty()) Write();
                    });
}

void Session::Read() {
  auto self = shared_from_this();
  socket_.async_read_some(asio::buffer(buf_), [this, self](const asio::error_code& ec, size_t n) {
    if (ec || closed_) return Close();
    std::vector<std::string> lines;
    absl::Status framed = framer_.Feed(absl::string_view(buf_.data(), n), &lines);
    for (const std::string& line : lines) {
      if (closed_) return;
      if (!server_.stall_) HandleLine(line);
    }
    if (!framed.ok()) {
      LOG(WARNING) << "synth-pool: dropping client: " << framed;
      absl::MutexLock l(&server_.stats_mu_);
      ++server_.stats_.bad_lines;
      server_.stats_.last_message_error = std::string(framed.message());
    }
    if (!framed.ok()) return Close();
    if (!closed_) Read();
  });
}

void Session::HandleLine(const std::string& line) {
  absl::StatusOr<Message> m = stratum::ParseLine(line);
  if (!m.ok()) {
    LOG(WARNING) << "synth-pool: bad line from client, dropping it: " << m.status();
    {
      absl::MutexLock l(&server_.stats_mu_);
      ++server_.stats_.bad_lines;
      server_.stats_.last_message_error = std::string(m.status().message());
    }
    return Close();
  }
  if (m->kind == Message::Kind::kResponse) {  // Our client.get_version.
    if (m->result.is_string()) {
      absl::MutexLock l(&server_.stats_mu_);
      server_.stats_.last_client_version = m->result.get<std::string>();
    }
    return;
  }
  HandleRequest(*m);
}

void Session::Reply(const json& id, const json& result, std::optional<RpcError> error) {
  if (id.is_null()) return;  // A notification gets no answer.
  Send(stratum::EncodeResponse(id, result, error));
}

void Session::HandleRequest(const Message& m) {
  const std::string& method = m.method;
  if (method == "mining.submit") return Submit(m);
  if (method == "mining.configure") {
    std::optional<RpcError> err;
    json result = Configure(m.params, &err);
    return Reply(m.id, result, err);
  }
  if (method == "mining.subscribe") {
    json result = Subscribe(m.params);
    Reply(m.id, result);
    Send(stratum::EncodeNotification("mining.set_difficulty", json::array({difficulty_})));
    if (const stratum::StratumJob* job = server_.current_job()) {
      stratum::StratumJob first = *job;
      first.clean_jobs = !resumed_;
      server_.NotifyJob(*this, first);
    }
    return;
  }
  if (method == "mining.authorize") {
    absl::StatusOr<stratum::AuthorizeParams> p = stratum::ParseAuthorizeParams(m.params);
    if (!p.ok()) return Reply(m.id, nullptr, RpcError{stratum::kErrOther, std::string(p.status().message()), ""});
    bool ok = server_.options_.password.empty() || p->pass == server_.options_.password;
    if (server_.options_.extranonce_subscribe == ExtranonceSubscribeMode::kAfterAuthorize) {
      return AuthorizeLater(m.id, p->user, ok);
    }
    return FinishAuthorize(m.id, p->user, ok);
  }
  if (method == "mining.extranonce.subscribe") {
    ExtranonceSubscribeMode mode = server_.options_.extranonce_subscribe;
    bool ignore = mode == ExtranonceSubscribeMode::kIgnore ||
                  (mode == ExtranonceSubscribeMode::kAfterAuthorize && authorized_.empty());
    absl::MutexLock l(&server_.stats_mu_);
    if (ignore) {  // No answer at all, as ckpool does before authorize.
      LOG(INFO) << "synth-pool: Rejecting mining.extranonce.subscribe from "
                << (authorized_.empty() ? "unauthorised client" : "client (mode ignore)");
      ++server_.stats_.extranonce_ignored;
      return;
    }
    ++server_.stats_.extranonce_subscribes;
    extranonce_subscribed_ = true;
    return Reply(m.id, true);
  }
  if (method == "mining.suggest_difficulty") {
    absl::StatusOr<double> d = stratum::ParseDifficultyParams(m.params, method);
    if (!d.ok()) return Reply(m.id, false, RpcError{stratum::kErrOther, std::string(d.status().message()), ""});
    difficulty_ = *d;
    Send(stratum::EncodeNotification("mining.set_difficulty", json::array({difficulty_})));
    return Reply(m.id, true);
  }
  Reply(m.id, nullptr, RpcError{stratum::kErrOther, absl::StrCat("Unknown method ", method), ""});
}

void Session::FinishAuthorize(const json& id, const std::string& user, bool ok) {
  if (ok) authorized_.insert(user);
  Reply(id, ok, ok ? std::nullopt
                   : std::optional<RpcError>(
                         RpcError{stratum::kErrUnauthorized, "Unauthorized worker", ""}));
}

void Session::AuthorizeLater(const json& id, const std::string& user, bool ok) {
  // ckpool authorizes on another thread: requests that arrive meanwhile come from a client
  // that is not authorized yet.
  auto timer = std::make_shared<asio::steady_timer>(server_.io_, std::chrono::milliseconds(50));
  auto self = shared_from_this();
  timer->async_wait([this, self, timer, id, user, ok](const asio::error_code& ec) {
    if (!ec && !closed_) FinishAuthorize(id, user, ok);
  });
}

json Session::Configure(const json& params, std::optional<RpcError>* err) {
  absl::StatusOr<stratum::ConfigureParams> p = stratum::ParseConfigureParams(params);
  if (!p.ok()) {
    *err = RpcError{stratum::kErrOther, std::string(p.status().message()), ""};
    return nullptr;
  }
  stratum::ConfigureResult r;
  if (p->version_rolling && server_.options_.version_mask != 0) {
    version_mask_ = p->version_mask & server_.options_.version_mask;
    r.version_rolling = true;
    r.version_mask = version_mask_;
  }
  if (p->minimum_difficulty) {
    min_difficulty_ = *p->minimum_difficulty;
    difficulty_ = std::max(difficulty_, min_difficulty_);
    r.minimum_difficulty = true;
  }
  if (p->subscribe_extranonce) {
    extranonce_subscribed_ = true;
    r.subscribe_extranonce = true;
  }
  return stratum::MakeConfigureResult(r);
}

json Session::Subscribe(const json& params) {
  absl::StatusOr<stratum::SubscribeParams> p = stratum::ParseSubscribeParams(params);
  extranonce1_.clear();
  if (p.ok() && p->session_id) {
    auto it = server_.resumable_.find(*p->session_id);
    if (it != server_.resumable_.end()) {
      // A resumed session keeps its extranonce1 and its jobs: shares found before the
      // disconnect still count (what cgminer relies on when it resubmits).
      extranonce1_ = it->second.extranonce1;
      terms_ = std::move(it->second.terms);
      seen_shares_ = std::move(it->second.seen_shares);
      server_.resumable_.erase(it);
      resumed_ = true;
    }
  }
  if (extranonce1_.empty()) extranonce1_ = server_.NextExtranonce1();
  subscribed_ = true;
  stratum::SubscribeResult r;
  std::string sid = bitcoin::BytesToHex(extranonce1_);
  r.subscriptions = {{"mining.set_difficulty", sid}, {"mining.notify", sid}};
  r.extranonce1 = extranonce1_;
  r.extranonce2_size = extranonce2_size_;
  return stratum::MakeSubscribeResult(r);
}

void Session::CountReject(int code) {
  absl::MutexLock l(&server_.stats_mu_);
  ++server_.stats_.rejected[code];
}

void Session::Submit(const Message& m) {
  auto reject = [&](int code, std::string reason) {
    CountReject(code);
    Reply(m.id, false, RpcError{code, std::move(reason), ""});
  };
  absl::StatusOr<stratum::SubmitParams> p = stratum::ParseSubmitParams(m.params);
  if (!p.ok()) return reject(stratum::kErrOther, std::string(p.status().message()));
  if (!subscribed_) return reject(stratum::kErrNotSubscribed, "Not subscribed");
  if (!authorized_.contains(p->worker)) return reject(stratum::kErrUnauthorized, "Unauthorized worker");
  if (server_.reject_all_code_ != 0) return reject(server_.reject_all_code_, "Rejected by test mode");
  const stratum::StratumJob* job = server_.FindJob(p->job_id);
  auto terms = terms_.find(p->job_id);
  if (job == nullptr || terms == terms_.end()) return reject(stratum::kErrJobNotFound, "Job not found");
  std::string key = absl::StrCat(p->job_id, "/", bitcoin::BytesToHex(p->extranonce2), "/",
                                 p->ntime, "/", p->nonce, "/", p->version_bits.value_or(0));
  if (seen_shares_.contains(key)) return reject(stratum::kErrDuplicate, "Duplicate share");
  auto t0 = std::chrono::steady_clock::now();
  ShareVerdict v = CheckShare(*job, terms->second, version_mask_, *p);
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
    server_.stats_.accepted_work += terms->second.difficulty;
    if (v.block) ++server_.stats_.blocks;
  }
  Reply(m.id, true);
}

}  // namespace synth::pool
