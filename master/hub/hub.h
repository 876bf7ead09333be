// File: master/hub/hub.h
//
// The master's downstream Stratum V1 port (`synth-master --stratum-listen`, docs/HUB.md): any
// Stratum miner (ASICs, Bitaxe-class boards, cgminer, bfgminer, cpuminer-opt) connects to the
// master as to a pool and mines the master's jobs in its own extranonce2 slot
// (master/jobs/extranonce_space.h). Each connection runs the shared session core
// (common/stratum/server_session.h) with the port's policy: its own vardiff (vardiff.h), an
// allow-list and optional password, limits per connection and in total; its shares go through
// the master's validator and ledger (shares::SourceHost) and upstream when they meet the pool's
// target. With a pool split each connection mines the jobs of the pool the host routed it to,
// and follows the host when it moves it (mining.set_extranonce and a clean notify, or
// client.reconnect for a miner that did not subscribe to extranonce changes).
//
//   HubOptions o;
//   o.listen = "0.0.0.0:3334";
//   ASSIGN_OR_RETURN(o.allow, AllowList::Parse("10.0.0.0/8"));
//   ASSIGN_OR_RETURN(std::unique_ptr<StratumHub> hub, StratumHub::Start(o, &cluster));
//   ...
//   hub->Shutdown();   // client.reconnect to every miner, then close; before the host goes
//
// Threading: one io thread owns every connection. OnJob/OnVerdict (the host calls them with its
// mutex held) only post to it; Stats() may be called from any thread. Thread-safe.
#ifndef SYNTH_MASTER_HUB_HUB_H_
#define SYNTH_MASTER_HUB_HUB_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "master/hub/allow_list.h"
#include "master/hub/vardiff.h"
#include "master/shares/share_source.h"

namespace synth::hub {

struct HubOptions {
  std::string listen = "127.0.0.1:3334";  // HOST:PORT; port 0 picks one (see port()).
  AllowList allow = *AllowList::Parse(kDefaultAllow);
  std::string password;          // Non-empty: mining.authorize must send it. Never logged.
  size_t max_connections = 10000;
  VardiffOptions vardiff;        // Target shares a minute, retarget interval, lowest difficulty.
  double start_difficulty = 0;   // A new connection's difficulty; 0: the pool's.
  // Per connection.
  size_t max_line = 16 * 1024;         // Longest line; longer drops the connection.
  double max_requests_per_s = 100;     // Beyond: answered "Rate limited" (submits counted).
  size_t max_pending_submits = 64;     // Submits waiting for the pool's answer.
  size_t max_output_bytes = 1 << 20;   // Queued for a peer that does not read: dropped beyond.
  absl::Duration handshake_timeout = absl::Seconds(30);  // To subscribe and authorize.
  absl::Duration line_timeout = absl::Seconds(60);       // An unfinished line may wait this long.
  absl::Duration idle_timeout = absl::Minutes(15);       // Without any line.
  absl::Duration sweep_every = absl::Seconds(1);         // Timeouts and retargets are checked.
  absl::Duration status_every = absl::Seconds(10);       // Status line in the log (0: none).
};

// Counters and latencies of the port (shares::PortStats, what the master's views show).
using HubStats = shares::PortStats;

class StratumHub : public shares::SourcePort {
 public:
  // Binds, starts the io thread and attaches to `host` (which must outlive the hub).
  // INVALID_ARGUMENT for a bad address or options, FAILED_PRECONDITION when it cannot bind.
  static absl::StatusOr<std::unique_ptr<StratumHub>> Start(const HubOptions& options,
                                                           shares::SourceHost* host);
  ~StratumHub() override;

  StratumHub(const StratumHub&) = delete;
  StratumHub& operator=(const StratumHub&) = delete;

  int port() const;
  HubStats Stats() const override;
  // Detaches from the host, sends client.reconnect to every miner, closes every connection
  // and stops the io thread. Idempotent.
  void Shutdown();

  // shares::SourcePort (called with the host's mutex held; they only post).
  void OnJob(std::shared_ptr<const shares::JobNotice> notice) override;
  void OnVerdict(uint64_t source, uint64_t share_id, const shares::SourceVerdict& v) override;
  void OnMove(uint64_t source, size_t pool) override;

  class Impl;

 private:
  explicit StratumHub(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  bool detached_ = false;  // Shutdown ran (it is called from one thread).
};

}  // namespace synth::hub

#endif  // SYNTH_MASTER_HUB_HUB_H_
