// File: master/pool/server.h
//
// synth-pool: a Stratum V1 server for demos and tests that checks shares like a real pool.
// Jobs come from a block template (block_template.h); every submit is judged (share_check.h)
// after the session checks a real pool makes: not subscribed → 25, unauthorized worker → 24,
// unknown or cleaned job → 21, duplicate → 22, low difficulty → 23, anything else → 20 (bad
// extranonce2 size, ntime out of range, version bits outside the mask). Each job remembers the
// difficulty, extranonce1 and extranonce2_size the session had when it was notified, so a
// set_difficulty or set_extranonce applies to later jobs only.
//
//   PoolOptions o;  o.listen_port = 0;  o.difficulty = 0.001;
//   ASSIGN_OR_RETURN(std::unique_ptr<PoolServer> pool, PoolServer::Start(o));
//   connect to 127.0.0.1:pool->port(); ...; pool->NewJob(/*clean=*/true);
//   PoolStats s = pool->Stats();
//
// Threading: one io thread owns every session; all public methods are thread-safe and the
// control methods (NewJob, SetDifficulty, faults) run on the io thread and return once done.
// Stop() (or the destructor) closes everything and writes the final stats file.
#ifndef SYNTH_MASTER_POOL_SERVER_H_
#define SYNTH_MASTER_POOL_SERVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "master/pool/block_template.h"
#include "master/pool/sv2_server.h"

namespace synth::pool {

// How synth-pool answers mining.extranonce.subscribe.
enum class ExtranonceSubscribeMode {
  kAnswer,          // Always, with true.
  kAfterAuthorize,  // Like ckpool: authorize is answered 50 ms later (ckpool authorizes on
                    // another thread) and the request is ignored (never answered) until then.
  kIgnore,          // Never answered: a pool without the extension that does not say so.
};

struct PoolOptions {
  std::string listen_host = "127.0.0.1";
  int listen_port = 3333;              // 0 picks an ephemeral port (see port()).
  double difficulty = 1.0;             // Share difficulty for new sessions (fractional ok).
  double job_interval_s = 30;          // A new job every S seconds; 0 = only on NewJob().
  int clean_every = 1;                 // Every Nth timed job has clean_jobs (0 = never).
  uint32_t version_mask = 0x1fffe000;  // Mask offered to mining.configure; 0 refuses rolling.
  int extranonce2_size = 4;            // Told to every session (1..8).
  int keep_jobs = 8;                   // Non-clean jobs stay valid until this many newer ones.
  std::string password;                // Non-empty: mining.authorize must match it.
  ExtranonceSubscribeMode extranonce_subscribe = ExtranonceSubscribeMode::kAnswer;
  TemplateOptions tmpl;                // Height, nbits, txids seed.
  std::string stats_json;              // Counters written here every stats_interval_s and at exit.
  double stats_interval_s = 1;
  // Per-process epoch mixed into every extranonce1 and prefixed to every job id ("<epoch>.<n>"),
  // so a restarted pool never hands out the extranonce1 or job ids of the previous process (a
  // client cannot mistake the new session for a resumed one). 0: random at start.
  uint32_t epoch = 0;
  Sv2Options sv2;                      // The Stratum V2 side (sv2_server.h); off by default.
};

// Counters since start. accepted_work sums the difficulty of accepted shares.
struct PoolStats {
  uint64_t connections = 0;
  uint64_t sessions_open = 0;
  uint64_t jobs = 0;
  uint64_t accepted = 0;
  uint64_t blocks = 0;
  std::map<int, uint64_t> rejected;    // Stratum code → count.
  double accepted_work = 0;
  uint64_t bad_lines = 0;              // Malformed lines received (connection dropped).
  uint64_t extranonce_subscribes = 0;  // mining.extranonce.subscribe answered true.
  uint64_t extranonce_ignored = 0;     // mining.extranonce.subscribe left unanswered (the mode).
  uint64_t checked = 0;                // Shares hashed by CheckShare.
  double check_seconds = 0;            // Time spent in CheckShare.
  std::string last_client_version;     // Answer to client.get_version.
  std::string last_message_error;      // Last bad-input reason (for tests and logs).
  uint64_t sv2_connections = 0;        // SV2: connections accepted,
  uint64_t sv2_channels = 0;           // channels opened,
  double sv2_nominal_hash_rate = 0;    // the latest channel's nominal rate (open or update), h/s
  uint64_t sv2_bad_input = 0;          // connections dropped for bad input (handshake, frames).
};

// Returns the counters as one JSON object (the --stats-json format).
std::string StatsToJson(const PoolStats& stats);

class PoolServer {
 public:
  // Binds, starts the io thread and the first job. FailedPrecondition if the port is taken.
  static absl::StatusOr<std::unique_ptr<PoolServer>> Start(const PoolOptions& options);
  ~PoolServer();

  PoolServer(const PoolServer&) = delete;
  PoolServer& operator=(const PoolServer&) = delete;

  int port() const;
  int sv2_port() const;         // 0 without an SV2 side.
  std::string sv2_url() const;  // stratum2+tcp://HOST:PORT/AUTHORITY_KEY; empty without one.
  PoolStats Stats() const;
  std::string StatsJson() const;
  // Closes every connection, stops the io thread and writes the stats file. Idempotent.
  void Stop();

  // ---- control (thread-safe; each returns after it ran on the io thread) ----
  void NewJob(bool clean);
  void SetDifficulty(double difficulty);  // Sent now; applies to the next job.
  void SetRejectAll(int code);            // Reject every submit with `code` (0 = off).
  // Faults for tests.
  void DropAll();                         // Close every connection.
  void SendRaw(const std::string& line);  // Write `line` as is to every session.
  void SendGarbage();                     // A line that is not JSON.
  void SendOversize();                    // A 70 KiB line.
  void SetStall(bool stall);              // Stop answering (reads are ignored).
  void ChangeExtranonce();                // New extranonce1 to extranonce-subscribed sessions.
  void SendReconnect(const std::string& host, int port, int wait_s);
  void ShowMessage(const std::string& text);
  void SendGetVersion();

  class Impl;

 private:
  explicit PoolServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace synth::pool

#endif  // SYNTH_MASTER_POOL_SERVER_H_
