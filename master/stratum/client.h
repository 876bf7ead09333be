// File: master/stratum/client.h
//
// The master's pool client: one io thread, a failover list of pools by priority. A Stratum V1
// pool over TCP or TLS (stratum+ssl:// with certificate and host-name verification), with every
// extension a pool may use (BIP 310 version rolling and minimum-difficulty,
// extranonce.subscribe/set_extranonce, suggest_difficulty, client.reconnect within the same
// domain, show_message, get_version); or a Stratum V2 pool (stratum2+tcp://HOST:PORT/KEY: Noise
// with the pool's certificate checked against KEY, one extended channel; docs/STRATUM.md
// "Stratum V2"). One list may mix both; each connection is a PoolLink (pool_link.h).
//
//   ClientOptions o;
//   o.pools = {{"stratum+tcp://127.0.0.1:3333", "user.worker", "x", /*priority=*/0},
//              {"stratum2+tcp://sv2.example.com:3336/9bXiEd8b...", "user.worker", "", 1},
//              {"stratum+ssl://backup.example.com:443", "user.worker", "x", 2}};
//   ClientCallbacks cb;
//   cb.on_job = [&](const ClientJob& j) { cluster.OnJob(j); };   // io thread; do not block
//   ASSIGN_OR_RETURN(std::unique_ptr<Client> client, Client::Create(o, cb));
//   client->Start();
//   client->Submit(share, [](const SubmitResult& r) { ... });    // any thread
//   ClientStatus s = client->Status();                            // any thread
//   client->SwitchPool(1);                                        // operator: use the backup
//
// Contract:
// - on_job gets every job with the difficulty, extranonce1, extranonce2_size and version mask in
//   force when it was notified; a set_difficulty/set_extranonce applies to later jobs only.
//   job.clean_jobs = true means all earlier jobs are dead (also forced on the first job of a
//   new, not resumed, session or after switching pools).
// - Submit's `done` runs exactly once, on the io thread: accepted, rejected (the pool's code and
//   reason), stale (job cleaned, pool said 21, or the session changed before it could be sent),
//   or timed out. Shares submitted while disconnected, and submits left unanswered by a
//   dropped connection, wait (up to submit_timeout) for the next session and are sent if it
//   resumed with the same extranonce1 and still knows the job (else they end kPoolDown,
//   "expired while the pool was down"). The 6th submit param (version bits = share.version & mask) is sent only when
//   mining.configure agreed on version rolling. An SV2 connection never resumes, so its
//   unanswered shares end kPoolDown once it drops; SubmitShares.Success (which may answer a
//   batch) and .Error give the same outcomes as V1 verdicts (sv2_session.h).
// - A certificate that does not verify (another authority, expired, not yet valid) ends an SV2
//   connection with one log line saying which, and counts as a refused login: failover moves to
//   the next pool at once.
// - Which pool and when is decided by a FailoverPolicy (failover_policy.h): reconnects use
//   jittered exponential backoff; after `failover_after` consecutive failures the next pool by
//   priority is tried; while on a backup, the preferred pool is probed every `primary_retry`
//   (longer for a flapping pool) with a full handshake and the client switches back once the
//   probe is subscribed, authorized and has a job (the old connection drains its pending
//   submits).
// - SwitchPool / AddAndSwitchPool (operators, through synthctl) make a pool the preferred one
//   and move to it at once: the old connection drains its pending submits, the new pool's first
//   job is clean. Failover still moves on after `failover_after` failures, and the client then
//   probes its way back to the preferred pool (not to the first one).
// - Bad input (malformed JSON, oversize lines, bad hex, absurd extranonce2_size, bad
//   difficulty) is logged and the connection is dropped and re-established; responses to
//   unknown ids are logged and ignored. Pool passwords are never logged.
// Thread-safety: all public methods are thread-safe. Callbacks run on the io thread, one at a
// time; they must not block and must not call Stop(). No callback runs after Stop() returns.
#ifndef SYNTH_MASTER_STRATUM_CLIENT_H_
#define SYNTH_MASTER_STRATUM_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "master/stratum/session.h"
#include "master/stratum/sv2_transport.h"
#include "master/stratum/transport.h"
#include "master/stratum/types.h"

namespace synth::stratum {

struct PoolEndpoint {
  std::string url;    // stratum+tcp://HOST:PORT or stratum+ssl://HOST:PORT
  std::string user;
  std::string pass;   // Secret: never logged.
  int priority = 0;   // Lower is preferred; ties keep the given order.
};

struct ClientOptions {
  std::vector<PoolEndpoint> pools;
  SessionConfig session;   // user/pass/resume fields are filled per pool.
  absl::Duration backoff_initial = absl::Seconds(1);
  absl::Duration backoff_max = absl::Seconds(60);
  double backoff_multiplier = 1.6;
  double backoff_jitter = 0.2;            // ± fraction.
  int failover_after = 2;                 // Consecutive failures before the next pool.
  absl::Duration primary_retry = absl::Seconds(30);  // Return hold before probing back.
  // A preferred pool lost within this long of the return is flapping: its hold doubles, up to
  // max_return_hold (failover_policy.h).
  absl::Duration return_stable_after = absl::Minutes(5);
  absl::Duration max_return_hold = absl::Minutes(15);
  absl::Duration tick = absl::Milliseconds(100);  // Session timeouts and held-share expiry.
  TlsOptions tls;
  int connect_timeout_s = 10;
  TransportFactory transport;             // V1. Null: real sockets (AsioTransportFactory).
  Sv2TransportFactory sv2_transport;      // V2. Null: real sockets (AsioSv2TransportFactory).
  uint64_t seed = 0;                      // Backoff jitter; 0 = random.
  const Clock* clock = nullptr;           // The failover policy's time; nullptr: RealClock.
};

struct ClientCallbacks {
  std::function<void(const ClientJob&)> on_job;
  std::function<void(bool connected, const std::string& url)> on_connection;  // Optional.
  std::function<void(const std::string& text)> on_message;  // client.show_message; optional.
};

// One pool of the priority-sorted list. Holds no secrets.
struct PoolStats {
  std::string url;           // Canonical, without credentials.
  bool added = false;        // Added by AddAndSwitchPool.
  uint64_t connects = 0;     // Sessions that became ready.
  uint64_t disconnects = 0;  // Ready sessions lost, redirected or left by a switch.
  uint64_t failovers = 0;    // Times the client failed over away from it.
  uint64_t accepted = 0;     // Submit outcomes of shares sent on its sessions.
  uint64_t rejected = 0;
  uint64_t stale = 0;
};

// A snapshot for status output and tests. Holds no secrets.
struct ClientStatus {
  bool connected = false;           // A session is subscribed and authorized.
  std::string url;                  // The active pool (after any client.reconnect).
  int pool_index = -1;              // Into the priority-sorted pool list.
  uint64_t connects = 0;            // Sessions that became ready.
  uint64_t disconnects = 0;
  uint64_t jobs = 0;
  double difficulty = 0;            // Of the last job.
  std::vector<uint8_t> extranonce1; // Of the last job.
  uint32_t version_mask = 0;        // Of the last job.
  bool resumed = false;             // The last session resumed the previous one.
  // Whether the pool may change extranonce1 mid-session (mining.extranonce.subscribe), as of
  // the active session's last job.
  Session::ExtranonceUpdates extranonce_updates = Session::ExtranonceUpdates::kNotAsked;
  uint64_t unknown_responses = 0;
  uint64_t reconnects_refused = 0;  // client.reconnect to another domain.
  std::string last_error;
  std::string last_message;         // Last client.show_message.
  SubmitCounters shares;
  int current = 0;                  // The pool in use or being connected to (list index).
  int preferred = 0;                // The pool the client returns to when healthy.
  int probing = -1;                 // The pool a probe is trying, -1 when none.
  uint64_t switches = 0;            // SwitchPool / AddAndSwitchPool calls that succeeded.
  std::vector<PoolStats> pools;     // By list index (priority order, added pools last).
};

class Client {
 public:
  // InvalidArgument when there is no pool or a URL does not parse.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options,
                                                        ClientCallbacks callbacks);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Start();
  void Stop();
  void Submit(const ClientShare& share, std::function<void(const SubmitResult&)> done);
  void SuggestDifficulty(double difficulty);
  // The rate mined for the pools, h/s, kept for every later session: an SV2 pool hears it in
  // UpdateChannel (at most every 10 s); V1 has no such message. Any thread.
  void SetNominalHashrate(double hashes_per_second);
  ClientStatus Status() const;
  // Makes pool `index` (of the priority-sorted list) preferred and moves to it now. OUT_OF_RANGE
  // for a bad index. Call after Start().
  absl::Status SwitchPool(int index);
  // Finds `pool.url` in the list or adds it at the end, then switches to it; returns its index.
  // INVALID_ARGUMENT for a URL that does not parse or carries user info (not echoed).
  absl::StatusOr<int> AddAndSwitchPool(PoolEndpoint pool);

  class Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_CLIENT_H_
