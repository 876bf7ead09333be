#include "common/stratum/server_session.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"

namespace synth::stratum {

using nlohmann::json;

namespace {
constexpr size_t kMaxUsers = 16;  // Workers one connection may authorize.
}  // namespace

ServerSession::ServerSession(const ServerSessionOptions& options, ServerSessionHost* host)
    : options_(options), host_(host), framer_(options.max_line) {}

absl::Status ServerSession::Feed(absl::string_view bytes, absl::Time now) {
  std::vector<std::string> lines;
  absl::Status framed = framer_.Feed(bytes, &lines);
  for (const std::string& line : lines) {
    if (absl::Status s = HandleLine(line, now); !s.ok()) return s;
  }
  return framed;
}

absl::Status ServerSession::HandleLine(const std::string& line, absl::Time now) {
  absl::StatusOr<Message> m = ParseLine(line);
  if (!m.ok()) return m.status();
  if (m->kind == Message::Kind::kResponse) {
    host_->OnClientResponse(*m);
    return absl::OkStatus();
  }
  if (!TakeRequestToken(now)) {
    if (m->method == "mining.submit") {
      absl::StatusOr<SubmitParams> p = ParseSubmitParams(m->params);
      Refuse(*m, p.ok() ? &*p : nullptr, kErrOther, "Rate limited", /*rate_limited=*/true);
    } else {
      Reply(m->id, nullptr, RpcError{kErrOther, "Rate limited", ""});
    }
    return absl::OkStatus();
  }
  HandleRequest(*m);
  return absl::OkStatus();
}

bool ServerSession::TakeRequestToken(absl::Time now) {
  if (!(options_.max_requests_per_s > 0)) return true;
  double burst = std::max(1.0, options_.max_requests_per_s * options_.request_burst_s);
  if (tokens_ < 0) {
    tokens_ = burst;
  } else {
    double refill = options_.max_requests_per_s * absl::ToDoubleSeconds(now - refill_);
    tokens_ = std::min(burst, tokens_ + std::max(0.0, refill));
  }
  refill_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void ServerSession::HandleRequest(const Message& m) {
  const std::string& method = m.method;
  if (method == "mining.submit") return Submit(m);
  if (method == "mining.configure") return Configure(m);
  if (method == "mining.subscribe") return Subscribe(m);
  if (method == "mining.authorize") return Authorize(m);
  if (method == "mining.suggest_difficulty") return SuggestDifficulty(m);
  if (method == "mining.extranonce.subscribe") {
    if (!host_->OnExtranonceSubscribe()) return;  // Left unanswered, by the host's choice.
    extranonce_subscribed_ = true;
    return Reply(m.id, true);
  }
  Reply(m.id, nullptr, RpcError{kErrOther, absl::StrCat("Unknown method ", method), ""});
}

void ServerSession::Configure(const Message& m) {
  absl::StatusOr<ConfigureParams> p = ParseConfigureParams(m.params);
  if (!p.ok()) return Reply(m.id, nullptr, RpcError{kErrOther, std::string(p.status().message()), ""});
  ConfigureResult r;
  uint32_t server_mask = host_->ServerVersionMask();
  if (p->version_rolling) {
    rolling_requested_ = true;
    requested_mask_ = p->version_mask;
    if (server_mask != 0) {
      version_mask_ = p->version_mask & server_mask;
      r.version_rolling = true;
      r.version_mask = version_mask_;
    }
  }
  if (p->subscribe_extranonce) {
    extranonce_subscribed_ = true;
    r.subscribe_extranonce = true;
  }
  r.minimum_difficulty = p->minimum_difficulty.has_value();
  Reply(m.id, MakeConfigureResult(r));
  if (p->minimum_difficulty) host_->OnDifficultyRequest(*p->minimum_difficulty, /*minimum=*/true);
}

void ServerSession::Subscribe(const Message& m) {
  absl::StatusOr<SubscribeParams> p = ParseSubscribeParams(m.params);
  if (!p.ok()) return Reply(m.id, nullptr, RpcError{kErrOther, std::string(p.status().message()), ""});
  if (subscribed_ || subscribe_pending()) {
    return Reply(m.id, nullptr, RpcError{kErrOther, "Already subscribed", ""});
  }
  user_agent_ = p->user_agent.substr(0, 128);
  absl::StatusOr<std::optional<Extranonce>> e = host_->OnSubscribe(*p);
  if (!e.ok()) return AnswerSubscribe(m.id, e.status());
  if (!e->has_value()) {  // Answered by CompleteSubscribe.
    subscribe_pending_ = true;
    pending_subscribe_id_ = m.id;
    return;
  }
  AnswerSubscribe(m.id, **e);
}

void ServerSession::CompleteSubscribe(const absl::StatusOr<Extranonce>& extranonce) {
  if (!subscribe_pending_) return;
  subscribe_pending_ = false;
  json id = std::move(pending_subscribe_id_);
  pending_subscribe_id_ = json();
  AnswerSubscribe(id, extranonce);
}

void ServerSession::AnswerSubscribe(const json& id, const absl::StatusOr<Extranonce>& extranonce) {
  if (!extranonce.ok()) {
    return Reply(id, nullptr, RpcError{kErrOther, std::string(extranonce.status().message()), ""});
  }
  extranonce_ = *extranonce;
  subscribed_ = true;
  SubscribeResult r;
  std::string sid = bitcoin::BytesToHex(extranonce_.extranonce1);
  r.subscriptions = {{"mining.set_difficulty", sid}, {"mining.notify", sid}};
  r.extranonce1 = extranonce_.extranonce1;
  r.extranonce2_size = extranonce_.extranonce2_size;
  Reply(id, MakeSubscribeResult(r));
  host_->OnSubscribed();
}

void ServerSession::Authorize(const Message& m) {
  absl::StatusOr<AuthorizeParams> p = ParseAuthorizeParams(m.params);
  if (!p.ok()) return Reply(m.id, nullptr, RpcError{kErrOther, std::string(p.status().message()), ""});
  if (authorized(p->user)) return Reply(m.id, true);
  if (users_.size() >= kMaxUsers || p->user.size() > 256) {
    return Reply(m.id, false, RpcError{kErrUnauthorized, "Too many workers on one connection", ""});
  }
  bool ok = host_->OnAuthorize(*p);
  if (host_->DeferAuthorize()) {
    held_authorizes_.emplace_back(m.id, p->user, ok);
    return;
  }
  FinishAuthorize(m.id, p->user, ok);
}

void ServerSession::FinishAuthorize(const json& id, const std::string& user, bool ok) {
  if (!ok) return Reply(id, false, RpcError{kErrUnauthorized, "Unauthorized worker", ""});
  if (!authorized(user)) {
    if (users_.empty()) first_user_ = user;
    users_.push_back(user);
  }
  Reply(id, true);
}

void ServerSession::CompleteAuthorizes() {
  std::vector<std::tuple<json, std::string, bool>> held;
  held.swap(held_authorizes_);
  for (const auto& [id, user, ok] : held) FinishAuthorize(id, user, ok);
}

void ServerSession::SuggestDifficulty(const Message& m) {
  absl::StatusOr<double> d = ParseDifficultyParams(m.params, m.method);
  if (!d.ok()) return Reply(m.id, false, RpcError{kErrOther, std::string(d.status().message()), ""});
  Reply(m.id, true);
  host_->OnDifficultyRequest(*d, /*minimum=*/false);
}

bool ServerSession::authorized(const std::string& user) const {
  return std::find(users_.begin(), users_.end(), user) != users_.end();
}

const JobTerms* ServerSession::FindTerms(const std::string& job_id) const {
  for (auto it = terms_.rbegin(); it != terms_.rend(); ++it) {
    if (it->first == job_id) return &it->second;
  }
  return nullptr;
}

void ServerSession::Refuse(const Message& m, const SubmitParams* p, int code, std::string reason,
                           bool rate_limited) {
  host_->OnSubmitRefused(p, code, rate_limited);
  Reply(m.id, false, RpcError{code, std::move(reason), ""});
}

void ServerSession::Submit(const Message& m) {
  absl::StatusOr<SubmitParams> p = ParseSubmitParams(m.params);
  if (!p.ok()) return Refuse(m, nullptr, kErrOther, std::string(p.status().message()), false);
  if (!subscribed_) return Refuse(m, &*p, kErrNotSubscribed, "Not subscribed", false);
  if (!authorized(p->worker)) return Refuse(m, &*p, kErrUnauthorized, "Unauthorized worker", false);
  const JobTerms* terms = FindTerms(p->job_id);
  if (terms == nullptr) return Refuse(m, &*p, kErrJobNotFound, "Job not found", false);
  if (options_.max_pending_submits > 0 && pending_submits_ >= options_.max_pending_submits) {
    return Refuse(m, &*p, kErrOther, "Too many pending submits", /*rate_limited=*/true);
  }
  ++pending_submits_;
  host_->OnSubmit(SubmitRequest{m.id, *std::move(p), *terms, version_mask_});
}

void ServerSession::AnswerSubmit(const json& id, const std::optional<RpcError>& error) {
  if (pending_submits_ > 0) --pending_submits_;
  Reply(id, !error.has_value(), error);
}

void ServerSession::SendDifficulty(double difficulty) {
  difficulty_ = difficulty;
  WriteLine(EncodeNotification("mining.set_difficulty", json::array({difficulty})));
}

void ServerSession::SendNotify(const std::string& job_id, bool clean, SharedLine line) {
  if (clean) terms_.clear();
  terms_.emplace_back(job_id, JobTerms{difficulty_, extranonce_.extranonce1,
                                       extranonce_.extranonce2_size});
  while (terms_.size() > std::max<size_t>(1, options_.keep_terms)) terms_.pop_front();
  host_->Write(std::move(line));
}

void ServerSession::UpdateVersionMask(uint32_t server_mask) {
  if (!rolling_requested_) return;
  uint32_t mask = requested_mask_ & server_mask;
  if (mask == version_mask_) return;
  version_mask_ = mask;
  WriteLine(EncodeNotification("mining.set_version_mask", MakeSetVersionMaskParams(mask)));
}

bool ServerSession::SendExtranonce(const Extranonce& extranonce) {
  if (!extranonce_subscribed_) return false;
  extranonce_ = extranonce;
  WriteLine(EncodeNotification("mining.set_extranonce", MakeSetExtranonceParams(extranonce)));
  return true;
}

void ServerSession::SendReconnect(const ReconnectParams& params) {
  WriteLine(EncodeNotification("client.reconnect", MakeReconnectParams(params)));
}

void ServerSession::SendNotification(absl::string_view method, const json& params) {
  WriteLine(EncodeNotification(method, params));
}

void ServerSession::SendRequest(absl::string_view method, const json& params) {
  WriteLine(EncodeRequest(next_request_id_++, method, params));
}

void ServerSession::Reply(const json& id, const json& result, const std::optional<RpcError>& error) {
  if (id.is_null()) return;  // A notification gets no answer.
  WriteLine(EncodeResponse(id, result, error));
}

void ServerSession::WriteLine(std::string line) {
  host_->Write(std::make_shared<const std::string>(std::move(line)));
}

}  // namespace synth::stratum
