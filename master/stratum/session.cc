#include "master/stratum/session.h"

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"

namespace synth::stratum {

using nlohmann::json;


const char* OutcomeName(SubmitOutcome o) {
  switch (o) {
    case SubmitOutcome::kAccepted: return "accepted";
    case SubmitOutcome::kRejected: return "rejected";
    case SubmitOutcome::kStale: return "stale";
    case SubmitOutcome::kTimedOut: return "timed out";
    case SubmitOutcome::kPoolDown: return "expired while the pool was down";
  }
  return "?";
}

Session::Session(SessionConfig config, Delegate* delegate, uint64_t connection, std::string url)
    : config_(std::move(config)), delegate_(delegate), connection_(connection), url_(std::move(url)) {}

int64_t Session::Request(const std::string& method, const json& params, absl::Time deadline,
                         SubmitDone done, double difficulty, ClientShare share) {
  int64_t id = next_id_++;
  if (done) ++submits_;
  pending_[id] = Pending{method, deadline, std::move(done), difficulty, std::move(share)};
  delegate_->SendLine(EncodeRequest(id, method, params));
  return id;
}

void Session::Begin(absl::Time now) {
  begun_ = now;
  last_rx_ = now;
  absl::Time deadline = now + config_.request_timeout;
  if (config_.version_rolling || config_.minimum_difficulty) {
    ConfigureParams c;
    c.version_rolling = config_.version_rolling;
    c.version_mask = config_.version_mask;
    c.version_min_bit_count = config_.version_min_bit_count;
    c.minimum_difficulty = config_.minimum_difficulty;
    Request("mining.configure", MakeConfigureParams(c), deadline);
  }
  Request("mining.subscribe", MakeSubscribeParams({config_.user_agent, config_.resume_session_id}),
          deadline);
  Request("mining.authorize", MakeAuthorizeParams({config_.user, config_.pass}), deadline);
  // mining.extranonce.subscribe waits for the authorize answer (docs/DESIGN.md §7.1).
  if (config_.suggest_difficulty) SendSuggestDifficulty(*config_.suggest_difficulty);
}

void Session::SuggestDifficulty(double difficulty) {
  config_.suggest_difficulty = difficulty;
  if (begun_ != absl::InfiniteFuture()) SendSuggestDifficulty(difficulty);
}

void Session::SendSuggestDifficulty(double difficulty) {
  Request("mining.suggest_difficulty", json::array({difficulty}),
          absl::Now() + config_.request_timeout);
}

absl::Status Session::OnLine(const std::string& line, absl::Time now) {
  last_rx_ = now;
  absl::StatusOr<Message> m = ParseLine(line);
  if (!m.ok()) return m.status();
  switch (m->kind) {
    case Message::Kind::kResponse:
      return OnResponse(*m, now);
    case Message::Kind::kNotification:
      return OnNotification(*m);
    case Message::Kind::kRequest:
      if (m->method == "client.get_version") {
        delegate_->SendLine(EncodeResponse(m->id, config_.user_agent));
        return absl::OkStatus();
      }
      if (m->method == "client.reconnect" || m->method == "client.show_message" ||
          m->method == "mining.set_difficulty" || m->method == "mining.notify" ||
          m->method == "mining.set_extranonce" || m->method == "mining.set_version_mask") {
        // Some pools send these with an id; answer and handle them as notifications.
        absl::Status s = OnNotification(*m);
        delegate_->SendLine(EncodeResponse(m->id, s.ok()));
        return s;
      }
      LOG(WARNING) << url_ << ": unknown method '" << m->method << "' from pool; answered error";
      delegate_->SendLine(EncodeResponse(m->id, nullptr, RpcError{kErrOther, "Unknown method", ""}));
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status Session::OnResponse(const Message& m, absl::Time now) {
  std::optional<int64_t> id = m.IntId();
  auto it = id ? pending_.find(*id) : pending_.end();
  if (it == pending_.end()) {
    ++unknown_responses_;
    LOG(WARNING) << url_ << ": response to unknown id " << m.id.dump() << " ignored";
    return absl::OkStatus();
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.done) {
    --submits_;
    OnSubmitResponse(p, m);
    return absl::OkStatus();
  }
  return OnHandshakeResponse(p.method, m, now);
}

absl::Status Session::OnHandshakeResponse(const std::string& method, const Message& m,
                                          absl::Time now) {
  if (method == "mining.configure") {
    if (m.error) {
      LOG(INFO) << url_ << ": mining.configure refused (" << m.error->raw << "); no version rolling";
      return absl::OkStatus();
    }
    absl::StatusOr<ConfigureResult> r = ParseConfigureResult(m.result);
    if (!r.ok()) {
      LOG(WARNING) << url_ << ": " << r.status() << "; no version rolling";
      return absl::OkStatus();
    }
    rolling_ = r->version_rolling && (r->version_mask & config_.version_mask) != 0;
    version_mask_ = rolling_ ? (r->version_mask & config_.version_mask) : 0;
    if (r->version_rolling && (r->version_mask & ~config_.version_mask) != 0) {
      LOG(WARNING) << url_ << ": pool mask " << bitcoin::U32ToHexBigEndian(r->version_mask)
                   << " has bits we did not offer; using the intersection";
    }
    return absl::OkStatus();
  }
  if (method == "mining.subscribe") {
    if (m.error) {
      return absl::FailedPreconditionError(absl::StrCat("mining.subscribe refused: ", m.error->raw));
    }
    absl::StatusOr<SubscribeResult> r = ParseSubscribeResult(m.result);
    if (!r.ok()) return r.status();
    if (r->extranonce2_size > kClientMaxExtranonce2Size) {
      return absl::InvalidArgumentError(absl::StrCat("mining.subscribe: extranonce2_size ",
                                                     r->extranonce2_size, " over 8"));
    }
    extranonce1_ = r->extranonce1;
    extranonce2_size_ = r->extranonce2_size;
    session_id_ = r->session_id;
    subscribed_ = true;
    resumed_ = config_.resume_session_id.has_value() && extranonce1_ == config_.resume_extranonce1;
    if (ready()) delegate_->OnReady();
    return absl::OkStatus();
  }
  if (method == "mining.authorize") {
    absl::StatusOr<bool> ok = ParseBoolResult(m.result, method);
    if (!ok.ok() || !*ok || m.error) {
      return absl::PermissionDeniedError(absl::StrCat("mining.authorize refused for user '",
                                                      config_.user, "'",
                                                      m.error ? ": " + m.error->message : ""));
    }
    authorized_ = true;
    // ckpool ignores (never answers) requests of clients that are not authorized yet, so the
    // extension is asked for only now.
    if (config_.extranonce_subscribe) {
      extranonce_updates_ = ExtranonceUpdates::kAsked;
      Request("mining.extranonce.subscribe", json::array(), now + config_.request_timeout);
    }
    if (ready()) delegate_->OnReady();
    return absl::OkStatus();
  }
  if (method == "mining.extranonce.subscribe") {
    absl::StatusOr<bool> ok = ParseBoolResult(m.result, method);
    bool yes = !m.error && ok.ok() && *ok;
    extranonce_updates_ = yes ? ExtranonceUpdates::kOn : ExtranonceUpdates::kUnsupported;
    if (!yes) {
      LOG(INFO) << url_ << ": mining.extranonce.subscribe refused ("
                << (m.error ? m.error->raw : m.result.dump())
                << "); the pool will not change extranonce1 mid-session";
    }
    return absl::OkStatus();
  }
  if (m.error) VLOG(1) << url_ << ": " << method << " refused: " << m.error->raw;
  return absl::OkStatus();
}

void Session::OnSubmitResponse(Pending& p, const Message& m) {
  SubmitResult r;
  r.sent = true;
  absl::StatusOr<bool> ok = ParseBoolResult(m.result, "mining.submit");
  if (ok.ok() && *ok && !m.error) {
    r.outcome = SubmitOutcome::kAccepted;
  } else {
    r.code = m.error ? m.error->code : 0;
    r.reason = m.error ? m.error->message : (ok.ok() ? "rejected" : std::string(ok.status().message()));
    bool stale = r.code == kErrJobNotFound || r.reason == "Stale" || r.reason == "Job not found";
    r.outcome = stale ? SubmitOutcome::kStale : SubmitOutcome::kRejected;
    LOG(INFO) << url_ << ": share " << OutcomeName(r.outcome) << ": "
              << (m.error ? m.error->raw : m.result.dump());
  }
  p.done(r);
}

void Session::Submit(const ClientShare& share, SubmitDone done, absl::Time now) {
  SubmitParams p;
  p.worker = config_.user;
  p.job_id = share.job_id;
  p.extranonce2 = share.extranonce2;
  p.ntime = share.ntime;
  p.nonce = share.nonce;
  if (rolling_) p.version_bits = share.version & version_mask_;  // BIP 310: rolled & mask.
  auto d = job_difficulty_.find(share.job_id);
  Request("mining.submit", MakeSubmitParams(p), now + config_.submit_timeout, std::move(done),
          d == job_difficulty_.end() ? 0 : d->second, share);
}

void Session::AbortPending(SubmitOutcome outcome, const std::string& reason) {
  std::map<int64_t, Pending> pending = std::move(pending_);
  pending_.clear();
  submits_ = 0;
  for (auto& [id, p] : pending) {
    if (p.done) p.done(SubmitResult{outcome, 0, reason, true});
  }
}

std::vector<Session::Unanswered> Session::TakePendingSubmits() {
  std::vector<Unanswered> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.done) {
      out.push_back(Unanswered{std::move(it->second.share), std::move(it->second.done),
                               it->second.deadline});
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  submits_ = 0;
  return out;
}

absl::Status Session::Tick(absl::Time now) {
  if (!ready() && now - begun_ > config_.request_timeout) {
    return absl::DeadlineExceededError("handshake timed out");
  }
  if (ready() && now - last_rx_ > config_.stall_timeout) {
    return absl::UnavailableError(absl::StrCat("pool stalled: no data for ",
                                               absl::FormatDuration(now - last_rx_),
                                               "; treating the connection as dead"));
  }
  size_t timed_out = 0;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    if (it->second.done) {
      // An unanswered share stays pending: the connection is declared dead below and the
      // client resends it on a resumed session (or ends it pool-down), never "rejected".
      ++timed_out;
      ++it;
      continue;
    }
    if (it->second.method == "mining.extranonce.subscribe") {
      // Optional: a pool that ignores it is a pool without the extension.
      extranonce_updates_ = ExtranonceUpdates::kUnsupported;
      LOG(INFO) << url_ << ": no answer to mining.extranonce.subscribe in "
                << absl::FormatDuration(config_.request_timeout)
                << "; taking the pool as one without the extension (no extranonce updates)";
    } else {
      LOG(WARNING) << url_ << ": " << it->second.method << " got no answer";
    }
    it = pending_.erase(it);
  }
  if (timed_out > 0) {
    return absl::DeadlineExceededError(absl::StrCat(
        timed_out, " mining.submit unanswered for ", absl::FormatDuration(config_.submit_timeout),
        "; treating the connection as dead"));
  }
  return absl::OkStatus();
}

}  // namespace synth::stratum
