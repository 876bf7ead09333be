// File: master/shares/share_source.h
//
// Share sources that are not gRPC workers: the Stratum miners of the master's downstream port
// (master/hub, docs/HUB.md). The master core (SourceHost, implemented by service::SourceHub) gives
// each connection an extranonce2 slot (master/lease/extranonce_slots.h), accounts its rate in
// tuning (it enters the cluster rate; it is leased nothing), judges its shares with the same
// validator, dedupe and ledger as the workers' and submits those that meet the pool's target.
// The port (SourcePort, implemented by hub::StratumHub) hears of every job and of the pool's
// verdict on every share it forwarded.
//
//   host->SetSourcePort(&hub);                          // jobs flow to the hub from now on
//   ASSIGN_OR_RETURN(SourceGrant g, host->AddSource({.peer = "10.0.0.7:51234"}));
//   SourceOutcome o = host->SubmitShare(g.source, share);  // the answer: SourcePort::OnVerdict
//   host->RemoveSource(g.source);
//
// Threading: SourceHost is thread-safe. SourcePort's calls are made with the host's mutex held:
// they must only queue and return, and never call back into the host.
#ifndef SYNTH_MASTER_SHARES_SHARE_SOURCE_H_
#define SYNTH_MASTER_SHARES_SHARE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/stratum/codec.h"
#include "common/stratum/job.h"
#include "master/jobs/extranonce_space.h"

namespace synth::shares {

// One job as the port serves it.
struct JobNotice {
  std::string job_key;                               // The master's job key.
  std::shared_ptr<const stratum::StratumJob> job;    // mining.notify fields (job_id: the pool's).
  bool clean = false;                                // Every earlier job died with it.
  double pool_difficulty = 0;                        // The pool's share difficulty for it.
  std::vector<uint8_t> extranonce1;                  // The pool's extranonce1.
  int extranonce2_size = 0;                          // The pool's extranonce2 size.
  jobs::ExtranoncePartition partition;               // Its split between workers and miners.
  uint32_t version_mask = 0;                         // Agreed with the pool (0: no rolling).
  absl::Time entered;                                // When the pool's job reached the master.
  std::vector<uint64_t> displaced;  // Sources whose slot no longer exists (reconnect them).
};

// A final answer to one share, in Stratum terms.
struct SourceVerdict {
  bool accepted = false;  // Valid at the miner's difficulty (and, if forwarded, pool-accepted).
  int code = 0;           // Stratum error code when not accepted (21, 22, 23, 20, or the pool's).
  std::string reason;
  double difficulty = 0;  // The difficulty it was checked against.
};

// What the port says about a new connection.
struct SourceHello {
  std::string peer;          // "ip:port".
  std::string user_agent;    // From mining.subscribe.
  uint64_t resume_slot = 0;  // The slot of the session it asks to resume (0: none).
};

struct SourceGrant {
  uint64_t source = 0;  // Its id for every later call.
  uint64_t slot = 0;    // Its extranonce2 slot.
};

// One submit from a miner, after the session checks (common/stratum/server_session.h).
struct SourceShare {
  uint64_t share_id = 0;            // The port's id, echoed in OnVerdict.
  std::string job_key;              // The master job the miner's job id stands for.
  stratum::SubmitParams params;     // As the miner sent it.
  double difficulty = 0;            // The miner's difficulty when the job was notified.
  uint32_t version_mask = 0;        // Negotiated with the miner (0: none).
};

// What SubmitShare did. The answer to the miner always comes through SourcePort::OnVerdict
// (the ledger answers every share exactly once, docs/CLUSTER.md).
struct SourceOutcome {
  bool forwarded = false;  // Met the pool's target: handed to the pool connection just now.
  bool valid = false;      // Met the miner's target (counts for its measured rate).
};

// Counters and latencies of a port, for the master's views and tests.
struct PortStats {
  std::string listen;               // The bound address.
  uint64_t connections = 0;         // Open now.
  uint64_t connections_total = 0;   // Accepted since start.
  uint64_t refused_allow = 0;       // Peers outside the allow-list.
  uint64_t refused_full = 0;        // Over max_connections (or no free slot).
  uint64_t dropped_bad_input = 0;   // Bad JSON, over-long line, slow reader.
  uint64_t dropped_timeout = 0;     // Handshake, unfinished line, idle.
  uint64_t shares_forwarded = 0;    // Met the pool's target: submitted upstream.
  uint64_t shares_local = 0;        // Met only the miner's target.
  uint64_t shares_refused = 0;      // Rejected (stale, duplicate, low difficulty, ...).
  double share_path_p50_ms = 0;     // Submit read → handed to the pool, last 2,000 shares.
  double share_path_p99_ms = 0;
  uint64_t share_path_samples = 0;
  double fanout_p50_ms = 0;         // Last clean job: pool job in → notify written, per
  double fanout_p99_ms = 0;         // connection.
  double fanout_max_ms = 0;
  uint64_t fanout_connections = 0;
};

// Implemented by the downstream port.
class SourcePort {
 public:
  virtual ~SourcePort() = default;
  // A job became current (after its units were set up). Must only queue.
  virtual void OnJob(std::shared_ptr<const JobNotice> notice) = 0;
  // The answer to one share of `source` (at once, or when the pool answered). May be called
  // with the host's mutex or its ledger's held: must only queue.
  virtual void OnVerdict(uint64_t source, uint64_t share_id, const SourceVerdict& verdict) = 0;
  // Returns the port's counters (called with the host's mutex held; takes only the port's own
  // short lock).
  virtual PortStats Stats() const = 0;
};

// Implemented by the master core (service::SourceHub).
class SourceHost {
 public:
  virtual ~SourceHost() = default;
  // Sends every job from now on to `port` (nullptr: none); the current one at once. After a
  // call with nullptr returns, the old port is never called again.
  virtual void SetSourcePort(SourcePort* port) = 0;
  // Registers a connection and gives it a slot. UNAVAILABLE before the first job (no
  // extranonce yet) or when the pool's extranonce2 cannot be carved; RESOURCE_EXHAUSTED when
  // every slot is taken.
  virtual absl::StatusOr<SourceGrant> AddSource(const SourceHello& hello) = 0;
  // Updates what views show of a source: its worker name, difficulty and measured rate.
  virtual void UpdateSource(uint64_t source, const std::string& name, double difficulty,
                            double rate_hps) = 0;
  // Forgets a source; its slot is quarantined until its jobs have died. Idempotent.
  virtual void RemoveSource(uint64_t source) = 0;
  // Judges one share and submits it upstream when it meets the pool's target; its answer
  // comes through SourcePort::OnVerdict.
  virtual SourceOutcome SubmitShare(uint64_t source, const SourceShare& share) = 0;
  // Counts a submit the session refused before judging (and answered itself): over a rate or
  // pending limit (`rate_limited`: the ledger's rate_limited), or for a job no longer notified
  // (stale). `share_id` is the port's id for it, as for SubmitShare.
  virtual void CountRefused(uint64_t source, uint64_t share_id, bool rate_limited) = 0;
};

}  // namespace synth::shares

#endif  // SYNTH_MASTER_SHARES_SHARE_SOURCE_H_
