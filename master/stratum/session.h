// File: master/stratum/session.h
//
// One Stratum V1 connection's protocol logic, without any I/O (the client's test seam): lines in,
// lines out through a Delegate, time passed in explicitly. The Client (client.h) owns one per
// connection and drives it from its io thread.
//
//   Session s(config, &delegate, /*connection=*/1, "stratum+tcp://127.0.0.1:3333");
//   s.Begin(now);                                   // configure, subscribe, authorize, ...
//   RETURN_IF_ERROR(s.OnLine(line, now));           // error: drop the connection
//   s.Submit(share, [](SubmitResult r) { ... }, now);
//   RETURN_IF_ERROR(s.Tick(now));                   // timeouts; error: drop the connection
//
// Tick fails (the connection is dead; the client reconnects or fails over) when the handshake
// does not finish within request_timeout, when nothing at all arrives for stall_timeout, or when
// a submit goes unanswered for submit_timeout (that submit ends kTimedOut, reason "timeout: ...").
//
// Handshake (docs/DESIGN.md §7.1): mining.configure first (BIP 310 version rolling with the mask the
// pool narrows, minimum-difficulty), then mining.subscribe (with the previous session id to
// resume), mining.authorize and mining.suggest_difficulty, pipelined; mining.extranonce.subscribe
// once authorize succeeded (ckpool ignores it before; a pool that does not answer it within
// request_timeout is taken as one without the extension, logged at info level). Ready once
// subscribed and authorized. Difficulty and extranonce changes apply to
// jobs notified after them; each ClientJob carries its own terms. A malformed line or a
// malformed value the session depends on (notify, set_difficulty, set_extranonce, subscribe
// result) returns an error: the session can no longer be trusted and the caller reconnects.
// A response to an unknown id is logged and ignored. The password is never logged.
// Thread-compatible: one thread (the client's io thread) at a time.
#ifndef SYNTH_MASTER_STRATUM_SESSION_H_
#define SYNTH_MASTER_STRATUM_SESSION_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/stratum/codec.h"
#include "master/stratum/types.h"

namespace synth::stratum {

inline constexpr int kClientMaxExtranonce2Size = 8;  // cgminer's limit; the master's too.
inline constexpr size_t kMaxKnownJobs = 64;          // Jobs remembered per session.

struct SessionConfig {
  std::string user;
  std::string pass;                       // Secret.
  std::string user_agent = "synth/0.1";
  bool version_rolling = true;
  uint32_t version_mask = 0x1fffe000;     // BIP 320 general-purpose bits.
  int version_min_bit_count = 2;
  std::optional<double> minimum_difficulty;  // BIP 310 minimum-difficulty.
  std::optional<double> suggest_difficulty;  // mining.suggest_difficulty after authorize.
  double nominal_hash_rate = 0;  // The rate mined for this pool, h/s (SV2 channels; V1 ignores).
  bool extranonce_subscribe = true;
  std::optional<std::string> resume_session_id;  // From the previous connection to this pool.
  std::vector<uint8_t> resume_extranonce1;
  absl::Duration request_timeout = absl::Seconds(10);  // Handshake requests.
  absl::Duration submit_timeout = absl::Seconds(30);
  // No byte at all from the pool (no notify, no reply) for this long after the handshake: the
  // connection is stalled and Tick fails so the client reconnects or fails over.
  absl::Duration stall_timeout = absl::Seconds(90);
};

class Session {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void SendLine(std::string line) = 0;
    virtual void OnReady() = 0;                           // Subscribed and authorized.
    virtual void OnJob(const ClientJob& job) = 0;
    virtual void OnReconnect(const ReconnectParams& p) = 0;
    virtual void OnShowMessage(const std::string& text) = 0;
  };
  using SubmitDone = std::function<void(const SubmitResult&)>;
  // Whether the pool may send mining.set_extranonce on this session.
  enum class ExtranonceUpdates { kNotAsked, kAsked, kOn, kUnsupported };

  Session(SessionConfig config, Delegate* delegate, uint64_t connection, std::string url);

  void Begin(absl::Time now);
  absl::Status OnLine(const std::string& line, absl::Time now);
  absl::Status Tick(absl::Time now);
  // Sends a share for a job this session notified; `done` runs exactly once.
  void Submit(const ClientShare& share, SubmitDone done, absl::Time now);
  // Ends every pending submit with `outcome` (the client stops).
  void AbortPending(SubmitOutcome outcome, const std::string& reason);
  // Removes and returns the submits still waiting for an answer (the connection is gone; the
  // client resends them on a resumed session, cgminer-style).
  struct Unanswered {
    ClientShare share;
    SubmitDone done;
    absl::Time deadline;
  };
  std::vector<Unanswered> TakePendingSubmits();
  // Asks the pool for `difficulty`: sent now once the handshake has begun (pipelined behind it),
  // else with the handshake when the connection comes up.
  void SuggestDifficulty(double difficulty);

  bool ready() const { return subscribed_ && authorized_; }
  bool KnowsJob(const std::string& job_id) const { return jobs_.contains(job_id); }
  bool resumed() const { return resumed_; }
  size_t pending_submits() const { return submits_; }
  const std::string& session_id() const { return session_id_; }
  const std::vector<uint8_t>& extranonce1() const { return extranonce1_; }
  uint32_t version_mask() const { return version_mask_; }
  double difficulty() const { return difficulty_; }
  uint64_t unknown_responses() const { return unknown_responses_; }
  ExtranonceUpdates extranonce_updates() const { return extranonce_updates_; }
  // Jobs this session knows, oldest first (used to carry them over a resumed session).
  const std::set<std::string>& jobs() const { return jobs_; }
  void AdoptJobs(const std::set<std::string>& jobs) { jobs_.insert(jobs.begin(), jobs.end()); }

 private:
  struct Pending {
    std::string method;
    absl::Time deadline;
    SubmitDone done;   // Submits only.
    double difficulty = 0;
    ClientShare share;
  };
  void SendSuggestDifficulty(double difficulty);
  int64_t Request(const std::string& method, const nlohmann::json& params, absl::Time deadline,
                  SubmitDone done = nullptr, double difficulty = 0, ClientShare share = {});
  absl::Status OnResponse(const Message& m, absl::Time now);
  absl::Status OnHandshakeResponse(const std::string& method, const Message& m, absl::Time now);
  absl::Status OnNotification(const Message& m);
  absl::Status OnNotify(const nlohmann::json& params);
  void OnSubmitResponse(Pending& p, const Message& m);
  void RememberJob(const std::string& job_id, bool clean);

  SessionConfig config_;  // suggest_difficulty changes with SuggestDifficulty.
  Delegate* const delegate_;
  const uint64_t connection_;
  const std::string url_;
  int64_t next_id_ = 1;
  std::map<int64_t, Pending> pending_;
  size_t submits_ = 0;
  absl::Time begun_ = absl::InfiniteFuture();  // Not connected yet: no handshake clock.
  absl::Time last_rx_ = absl::InfiniteFuture();  // Last line from the pool (stall clock).
  bool subscribed_ = false;
  bool authorized_ = false;
  bool resumed_ = false;
  bool first_job_ = true;
  bool rolling_ = false;
  uint32_t version_mask_ = 0;
  double difficulty_ = 1;
  std::vector<uint8_t> extranonce1_;
  int extranonce2_size_ = 0;
  std::string session_id_;
  std::set<std::string> jobs_;
  std::deque<std::string> job_order_;
  uint64_t unknown_responses_ = 0;
  ExtranonceUpdates extranonce_updates_ = ExtranonceUpdates::kNotAsked;
  std::map<std::string, double> job_difficulty_;
};

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_SESSION_H_
