// File: master/jobs/upstream.h
//
// The master's narrow view of its pool connection: jobs come in through a callback, shares go
// out through Submit() with a per-share result callback. The Stratum client (master/stratum/) is
// adapted to this interface (master/service/stratum_upstream.h); tests use FakeUpstream.
//
//   upstream->Start([&](const UpstreamJob& job) { cluster.OnJob(job); });
//   upstream->Submit(sub, [&](const SubmitResult& r) { cluster.OnSubmitResult(id, r); });
//   for (const UpstreamPool& p : upstream->Pools()) ...       // synthctl pools
//   absl::StatusOr<UpstreamPool> now = upstream->SwitchPool(1);  // synthctl pool switch 1
//
// Byte orders (docs/DESIGN.md §3): UpstreamJob holds the notify as common/stratum/job.h decodes
// it: prev_hash in header (internal) order, version/nbits/ntime as numbers, merkle branch
// entries in internal order.
#ifndef SYNTH_MASTER_JOBS_UPSTREAM_H_
#define SYNTH_MASTER_JOBS_UPSTREAM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/stratum/job.h"

namespace synth::jobs {

// One mining.notify, together with the session values that apply to it.
struct UpstreamJob {
  // The notify: job_id (echoed in mining.submit), prev_hash, coinb1/coinb2 (the coinbase around
  // the extranonces), merkle_branch, version, nbits, ntime, and clean_jobs (every earlier job
  // is dead).
  stratum::StratumJob notify;
  double difficulty = 1.0;           // Share difficulty in force for this job (> 0).
  std::vector<uint8_t> extranonce1;  // From mining.subscribe / set_extranonce.
  int extranonce2_size = 4;          // Bytes of extranonce2 (1..8).
  uint32_t version_mask = 0;         // BIP 310 mask the pool agreed to; 0 = no rolling.
  // The pool it came from: its index among the split's active pools (docs/CLUSTER.md "Pool
  // split"); always 0 for a single pool or a failover list, whose pools take turns.
  size_t pool = 0;
};

// One share to send upstream as mining.submit.
struct UpstreamShare {
  std::string job_id;                // The pool's job id.
  std::vector<uint8_t> extranonce2;  // Exactly extranonce2_size bytes, as in the coinbase.
  uint32_t ntime = 0;
  uint32_t nonce = 0;
  bool has_version_bits = false;  // Send the 6th param (version rolling agreed).
  uint32_t version_bits = 0;      // (version & mask).
  uint32_t version = 0;           // The full header version (rolled bits in).
  double difficulty = 0;          // The share difficulty of its job (credited when accepted).
  size_t pool = 0;                // UpstreamJob::pool of its job: the pool it must go to.
};

// The pool's answer to one submit.
struct SubmitResult {
  bool accepted = false;
  int code = 0;           // Pool error code (e.g. 21 stale, 22 duplicate, 23 low difficulty).
  std::string reason;     // Pool message or a local reason ("not connected").
  bool not_sent = false;  // True when the share never reached the pool (no connection).
  bool stale = false;     // The pool or the client called it stale (job gone, code 21).
  bool timed_out = false; // Sent, and the pool never answered: not a rejection.
};

// Snapshot of the connection for status output. Never holds secrets.
struct UpstreamInfo {
  std::string url;  // e.g. "stratum+tcp://127.0.0.1:3333".
  bool connected = false;
};

// One pool of the upstream's list, for synthctl pools. Never holds secrets.
struct UpstreamPool {
  int index = 0;             // Position in the failover list (0 = first --pool).
  std::string url;           // Without user info.
  std::string state;         // "active", "connecting", "probing" or "standby".
  bool active = false;       // Mining on it, or connecting to it as the chosen pool.
  bool connected = false;    // Active and subscribed and authorized.
  bool preferred = false;    // The pool it returns to when healthy.
  bool added = false;        // Added at run time by SwitchPool(url).
  uint64_t accepted = 0;     // Shares it accepted.
  uint64_t rejected = 0;     // Shares it rejected (stale excluded).
  uint64_t stale = 0;        // Shares it called stale.
  uint64_t connects = 0;     // Sessions that became ready.
  uint64_t disconnects = 0;  // Ready sessions lost or left.
  uint64_t failovers = 0;    // Failovers away from it after errors.
};

// A pool connection. Implementations call the job callback and submit callbacks from their own
// thread; the callbacks must not block. Thread-safe.
class Upstream {
 public:
  using JobCallback = std::function<void(const UpstreamJob&)>;
  using SubmitCallback = std::function<void(const SubmitResult&)>;

  virtual ~Upstream() = default;

  // Starts connecting; `on_job` is called for every new job (after Start returns or from it).
  virtual void Start(JobCallback on_job) = 0;

  // Stops the connection; no callback runs after Stop() returns.
  virtual void Stop() = 0;

  // Sends one share; `done` is called exactly once with the pool's verdict (or not_sent).
  virtual void Submit(const UpstreamShare& share, SubmitCallback done) = 0;

  // Returns the current connection state.
  virtual UpstreamInfo Info() const = 0;

  // The cluster's rate in h/s, told to pools that take it (SV2's UpdateChannel); the Cluster
  // calls it about once a second. The default ignores it.
  virtual void SetNominalHashrate(double hashes_per_second) {}

  // Returns every pool the upstream may use, by index. The default: the one pool of Info().
  virtual std::vector<UpstreamPool> Pools() const;
  // Makes pool `index` the preferred one and moves to it now (jobs of the old pool end with
  // the new pool's first, clean, job). Returns the pool. OUT_OF_RANGE for a bad index;
  // UNIMPLEMENTED (the default) for a single-pool upstream.
  virtual absl::StatusOr<UpstreamPool> SwitchPool(int index);
  // The same for a URL: an entry already in the list, or a new one added at the end (with the
  // credentials of the first pool). INVALID_ARGUMENT for a URL that does not parse or carries
  // user info (the error never repeats such a URL). UNIMPLEMENTED by default.
  virtual absl::StatusOr<UpstreamPool> SwitchPool(const std::string& url);
};

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_UPSTREAM_H_
