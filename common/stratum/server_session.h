// File: common/stratum/server_session.h
//
// The server side of one Stratum V1 connection, without the transport: what synth-pool and the
// master's downstream port (master/hub) share. It frames lines under a per-server cap, parses
// every request, answers the handshake (BIP 310 mining.configure with version-rolling,
// minimum-difficulty and subscribe-extranonce; mining.subscribe; mining.authorize;
// mining.extranonce.subscribe; mining.suggest_difficulty) and checks each mining.submit for what
// a session knows: params well-formed (else 20), subscribed (else 25), worker authorized (else
// 24), job notified on this session (else 21), under the pending-submit and request-rate limits
// (else 20). A submit that passes goes to the host with the terms its job was notified under
// (difficulty, extranonce1, extranonce2 size); the host judges it (share_check.h) and answers,
// at once or later. The session emits mining.set_difficulty (applies from the next notify,
// docs/DESIGN.md §7.3), mining.notify, mining.set_version_mask, mining.set_extranonce (only to a
// miner that subscribed to it) and client.reconnect.
//
//   class Conn : public ServerSessionHost { ... };   // the transport and the server's policy
//   ServerSession session(options, &conn);
//   absl::Status s = session.Feed(bytes, now);       // not OK: drop the connection, log why
//   session.SendDifficulty(0.5);                     // applies to the next notify
//   session.SendNotify(job_id, /*clean=*/true, line);  // line = EncodeNotification(...)
//   session.AnswerSubmit(id, std::nullopt);          // in the host's OnSubmit, or later
//
// Errors are answered `[code, message, null]` (docs/DESIGN.md §7.2). A line that is not JSON,
// not an object or over the cap is an error of Feed(): the stream cannot be trusted any more.
//
// Threading: not thread-safe. One thread (the connection's) makes every call; the host's
// callbacks run on that thread, from inside Feed() or a Send*/Complete* call.
#ifndef SYNTH_COMMON_STRATUM_SERVER_SESSION_H_
#define SYNTH_COMMON_STRATUM_SERVER_SESSION_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/stratum/codec.h"
#include "common/stratum/share_check.h"
#include "nlohmann/json.hpp"

namespace synth::stratum {

// One encoded line, shared when the same bytes go to many connections (a job's notify).
using SharedLine = std::shared_ptr<const std::string>;

// A submit that passed the session's checks, for the host to judge.
struct SubmitRequest {
  nlohmann::json id;        // Answer with ServerSession::AnswerSubmit(id, ...).
  SubmitParams params;
  JobTerms terms;           // What its job was notified under.
  uint32_t version_mask = 0;  // Negotiated by mining.configure (0: no rolling).
};

// The server's side of a session: its transport and policy. Every call is made on the session's
// thread.
class ServerSessionHost {
 public:
  virtual ~ServerSessionHost() = default;

  // Queues one encoded line (ending in '\n') for the peer.
  virtual void Write(SharedLine line) = 0;
  // mining.subscribe. Returns the extranonce1 and extranonce2 size to give (resuming
  // `p.session_id` if the server can), or nullopt to answer later through
  // ServerSession::CompleteSubscribe. An error is answered [20, message].
  virtual absl::StatusOr<std::optional<Extranonce>> OnSubscribe(const SubscribeParams& p) = 0;
  // The subscribe answer went out: send the difficulty and the current job now.
  virtual void OnSubscribed() = 0;
  // mining.authorize: returns true to authorize p.user. Never log p.pass.
  virtual bool OnAuthorize(const AuthorizeParams& p) = 0;
  // True: the session holds the authorize answer (and the user stays unauthorized) until the
  // host calls ServerSession::CompleteAuthorizes, as a pool that authorizes on another thread
  // does. Asked right after OnAuthorize.
  virtual bool DeferAuthorize() const { return false; }
  // mining.extranonce.subscribe: true answers it and subscribes the miner; false leaves it
  // unanswered and unsubscribed (a server without the extension that does not say so).
  virtual bool OnExtranonceSubscribe() { return true; }
  // The mask offered to mining.configure's version-rolling (0 refuses rolling).
  virtual uint32_t ServerVersionMask() const = 0;
  // The miner asked for a difficulty: a floor (BIP 310 minimum-difficulty, `minimum`) or a
  // suggestion (mining.suggest_difficulty). The host decides and may SendDifficulty.
  virtual void OnDifficultyRequest(double difficulty, bool minimum) = 0;
  // A submit that passed the session checks. The host must answer it exactly once.
  virtual void OnSubmit(SubmitRequest request) = 0;
  // A submit the session refused (code 20/21/24/25; `rate_limited` when over a limit).
  virtual void OnSubmitRefused(const SubmitParams* params, int code, bool rate_limited) {}
  // A response to a request the server sent (client.get_version).
  virtual void OnClientResponse(const Message& m) {}
};

struct ServerSessionOptions {
  size_t max_line = kMaxLineBytes;  // Longest line accepted; longer drops the connection.
  double max_requests_per_s = 0;    // Token bucket over every request; 0: no limit.
  double request_burst_s = 2;       // The bucket holds this many seconds of requests.
  size_t max_pending_submits = 0;   // Submits handed to the host and unanswered; 0: no limit.
  size_t keep_terms = 32;           // Jobs whose terms are remembered (oldest forgotten).
};

class ServerSession {
 public:
  ServerSession(const ServerSessionOptions& options, ServerSessionHost* host);

  // Frames `bytes` and handles every complete line (`now` drives the request rate limit).
  // ResourceExhausted (line over the cap) or InvalidArgument (not a JSON-RPC object): the
  // caller drops the connection.
  absl::Status Feed(absl::string_view bytes, absl::Time now);

  // Answers a submit given to OnSubmit: accepted (nullopt) or rejected with `error`.
  void AnswerSubmit(const nlohmann::json& id, const std::optional<RpcError>& error);
  // Answers a subscribe that OnSubscribe deferred (an error is answered [20, message]).
  void CompleteSubscribe(const absl::StatusOr<Extranonce>& extranonce);
  // Answers every authorize held because DeferAuthorize was true, with OnAuthorize's verdicts.
  void CompleteAuthorizes();

  // ---- emission ----
  // Sends mining.set_difficulty; jobs notified from now on carry it.
  void SendDifficulty(double difficulty);
  // Sends one job: `line` is its mining.notify. Remembers the job's terms; clean forgets the
  // others (their submits get 21).
  void SendNotify(const std::string& job_id, bool clean, SharedLine line);
  // Applies a new server mask to a negotiated rolling (miner's mask ∩ server's) and sends
  // mining.set_version_mask when it changed (valid at once, docs/DESIGN.md §7.5).
  void UpdateVersionMask(uint32_t server_mask);
  // Sends mining.set_extranonce (applies from the next notify) and returns true, or returns
  // false without sending when the miner did not subscribe to it (then reconnect it).
  bool SendExtranonce(const Extranonce& extranonce);
  void SendReconnect(const ReconnectParams& params);
  void SendNotification(absl::string_view method, const nlohmann::json& params);
  void SendRequest(absl::string_view method, const nlohmann::json& params);

  // ---- state ----
  bool subscribed() const { return subscribed_; }
  bool subscribe_pending() const { return subscribe_pending_; }
  bool extranonce_subscribed() const { return extranonce_subscribed_; }
  bool authorized(const std::string& user) const;
  // The first user authorized, or "".
  const std::string& first_user() const { return first_user_; }
  const std::string& user_agent() const { return user_agent_; }
  const Extranonce& extranonce() const { return extranonce_; }
  double difficulty() const { return difficulty_; }
  uint32_t version_mask() const { return version_mask_; }
  size_t pending_submits() const { return pending_submits_; }
  // Bytes held of an unfinished line.
  size_t partial_bytes() const { return framer_.pending(); }

  // The terms of the jobs notified (oldest first), and restoring them (a resumed session).
  using TermsList = std::deque<std::pair<std::string, JobTerms>>;
  const TermsList& terms() const { return terms_; }
  void RestoreTerms(TermsList terms) { terms_ = std::move(terms); }

 private:
  absl::Status HandleLine(const std::string& line, absl::Time now);
  void HandleRequest(const Message& m);
  void Configure(const Message& m);
  void Subscribe(const Message& m);
  void AnswerSubscribe(const nlohmann::json& id, const absl::StatusOr<Extranonce>& extranonce);
  void Authorize(const Message& m);
  void FinishAuthorize(const nlohmann::json& id, const std::string& user, bool ok);
  void SuggestDifficulty(const Message& m);
  void Submit(const Message& m);
  void Refuse(const Message& m, const SubmitParams* p, int code, std::string reason,
              bool rate_limited);
  bool TakeRequestToken(absl::Time now);
  const JobTerms* FindTerms(const std::string& job_id) const;
  void Reply(const nlohmann::json& id, const nlohmann::json& result,
             const std::optional<RpcError>& error = std::nullopt);
  void WriteLine(std::string line);

  const ServerSessionOptions options_;
  ServerSessionHost* const host_;
  LineFramer framer_;
  bool subscribed_ = false;
  bool subscribe_pending_ = false;       // A subscribe waits for the host...
  nlohmann::json pending_subscribe_id_;  // ...and is answered under this id (null: never).
  bool extranonce_subscribed_ = false;
  bool rolling_requested_ = false;
  uint32_t requested_mask_ = 0;
  uint32_t version_mask_ = 0;
  double difficulty_ = 1;
  Extranonce extranonce_;
  std::string user_agent_;
  std::vector<std::string> users_;  // Authorized (a handful at most).
  std::string first_user_;
  // Authorizes held for CompleteAuthorizes: (request id, user, OnAuthorize's verdict).
  std::vector<std::tuple<nlohmann::json, std::string, bool>> held_authorizes_;
  TermsList terms_;
  size_t pending_submits_ = 0;
  double tokens_ = -1;  // Request bucket; < 0: full.
  absl::Time refill_;
  int64_t next_request_id_ = 1000000;
};

}  // namespace synth::stratum

#endif  // SYNTH_COMMON_STRATUM_SERVER_SESSION_H_
