// File: worker/conn/master_connection.h
//
// The worker's side of the master connection: one WorkerService.Connect stream at a time,
// re-opened with jittered exponential backoff after any disconnect, each opened with a Hello
// (the worker re-announces itself on every stream). While a stream is up it keeps the local
// scheduler's buffer above `low_water` seconds of work at the measured rate (one LeaseRequest
// outstanding at a time), turns grants into scheduler units, applies Cancels at once, sends
// each found share the moment the scheduler hands it over, batches unit outcomes into Progress
// (at most every 100 ms) and sends Telemetry at the master's interval.
//
// Nothing lost: shares are held in a ShareOutbox until their verdict arrives; those found or in
// flight while the master is unreachable are sent again on the next stream. When a stream ends
// the leased work is dropped (the master re-queues it, worker.proto), so no range is hashed for a
// lease that no longer exists.
//
//   MasterConnection conn(ConnectionOptions{.master = "127.0.0.1:4650", .worker_id = "w1"});
//   Scheduler sched(std::move(devices), SchedulerOptions{}, conn.SchedulerHooks());
//   sched.Start();
//   conn.Start(&sched);
//   ...
//   conn.Shutdown(&sched, absl::Seconds(2));   // returns units, flushes shares, closes
//
// Thread-safety: thread-safe. Internally: a session thread (connect, backoff, timers), gRPC
// reaction threads (incoming messages; they never block), device threads (shares, outcomes).
#ifndef SYNTH_WORKER_CONN_MASTER_CONNECTION_H_
#define SYNTH_WORKER_CONN_MASTER_CONNECTION_H_

#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "synth/v1/worker.grpc.pb.h"
#include "worker/conn/backoff.h"
#include "worker/conn/share_outbox.h"
#include "worker/conn/stream_reactor.h"
#include "worker/scheduler/scheduler.h"

namespace synth::worker {

struct ConnectionOptions {
  std::string master = "127.0.0.1:4650";  // HOST:PORT of synth-master's worker service.
  std::string token;                      // Sent as `authorization: Bearer <token>`; may be "".
  // When set, asked for the token at each stream start instead of `token` (a rotated token
  // file is picked up at the next connect).
  std::function<std::string()> token_source;
  // TLS channel credentials from proto::MakeClientCredentials (they carry the token as call
  // credentials, and `token` is then not added again); null: insecure, token as metadata.
  std::shared_ptr<grpc::ChannelCredentials> tls_credentials;
  // Wait after the master refused our credentials (UNAUTHENTICATED): retrying sooner cannot
  // help until an operator fixes the token or certificate.
  absl::Duration auth_backoff = absl::Seconds(10);
  std::string worker_id;                  // Stable id; default "<hostname>-<pid>".
  std::string hostname;                   // Display; default gethostname().
  absl::Duration low_water = absl::Seconds(2);  // Ask for work when less is buffered.
  double lease_seconds = 0;               // Seconds of work per request; 0: the master's choice.
  BackoffPolicy backoff;
  absl::Duration progress_interval = absl::Milliseconds(100);
  absl::Duration tick = absl::Milliseconds(10);  // Session timer resolution.
  // Keepalive: 15 s pings, 5 s timeout (docs/DESIGN.md §8); synth-master permits pings every >= 5 s.
  absl::Duration keepalive_time = absl::Seconds(15);
  absl::Duration keepalive_timeout = absl::Seconds(5);
  size_t outbox_capacity = 100000;        // Unanswered shares held at most.
  // Messages queued for writing at most before shares and progress wait (in the outbox and
  // the progress list) instead: a master that stays connected but stops reading cannot grow
  // the write queue without bound.
  size_t max_write_backlog = 256;
};

// What the connection has seen, for logs, demos and tests.
struct ConnectionStats {
  bool connected = false;       // A stream is up and welcomed.
  uint64_t streams = 0;         // Streams opened (each began with a Hello).
  uint64_t welcomes = 0;        // Streams the master welcomed.
  uint64_t grants = 0;          // LeaseGrants received.
  uint64_t units_leased = 0;
  uint64_t units_completed = 0; // Reported COMPLETED.
  uint64_t cancels = 0;         // Cancel messages applied.
  uint64_t shares_accepted = 0;  // ACCEPTED by the pool.
  uint64_t shares_rejected = 0;  // REJECTED by the pool.
  uint64_t shares_stale = 0;     // STALE: its job died first (clean job race), not submitted.
  uint64_t shares_invalid = 0;   // Any other verdict (duplicate, below target, hardware error,
                                 // unknown unit, pool down).
  std::map<std::string, uint64_t> verdicts;  // ShareState name -> count.
  OutboxCounts outbox;
  uint64_t writes_deferred = 0;  // Flushes held back because the write queue was full.
  size_t write_backlog = 0;      // Messages queued for writing now.
  std::string last_error;       // Status of the last stream that ended, "" if none.
};

class MasterConnection {
 public:
  explicit MasterConnection(ConnectionOptions options);
  ~MasterConnection();  // Stops the session thread (without the graceful part of Shutdown).
  MasterConnection(const MasterConnection&) = delete;
  MasterConnection& operator=(const MasterConnection&) = delete;

  // Returns the callbacks to build the Scheduler with (they feed this connection).
  SchedulerCallbacks SchedulerHooks();

  // Starts connecting. `scheduler` must outlive this connection's use of it (until Shutdown or
  // destruction). Call once.
  void Start(Scheduler* scheduler);

  // Graceful stop: no more lease requests; stops `scheduler` (its unfinished units come back
  // and are reported RETURNED), flushes Progress, waits up to `grace` for share verdicts, then
  // closes the stream and joins the session thread.
  void Shutdown(Scheduler* scheduler, absl::Duration grace);

  ConnectionStats Stats() const;
  // Returns the worker id sent in Hello.
  const std::string& WorkerId() const { return options_.worker_id; }

 private:
  struct Session;

  void SessionLoop();
  void RunOneStream();
  void Tick(Session* session);
  void OnMessage(const synth::v1::MasterMessage& msg);
  void OnWelcome(const synth::v1::Welcome& welcome);
  void OnGrant(const synth::v1::LeaseGrant& grant);
  void OnCancel(const synth::v1::Cancel& cancel);
  void OnVerdict(const synth::v1::ShareVerdict& verdict);
  void OnShare(FoundShare share);
  void OnUnitDone(UnitOutcome outcome);
  // True (and counted, logged now and then) when the stream's write queue is at
  // max_write_backlog: shares and progress then wait for a later tick.
  bool WriteQueueFullLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushSharesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushProgressLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndStreamLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Constant after construction.
  const ConnectionOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<synth::v1::WorkerService::Stub> stub_;
  ShareOutbox outbox_;

  mutable absl::Mutex mu_;
  Scheduler* scheduler_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread session_thread_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;  // Shutdown: no new leases.
  Backoff backoff_ ABSL_GUARDED_BY(mu_);
  // The live stream, or nullptr. Send() on it only with mu_ held (lock order: mu_, then the
  // reactor's own lock); the session thread clears it before destroying the reactor.
  StreamReactor* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool welcomed_ ABSL_GUARDED_BY(mu_) = false;
  bool auth_refused_ ABSL_GUARDED_BY(mu_) = false;  // The last stream ended UNAUTHENTICATED.
  bool lease_outstanding_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration telemetry_interval_ ABSL_GUARDED_BY(mu_) = absl::Seconds(1);
  double master_lease_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  // Per stream: midstates received and units leased (not yet reported).
  absl::flat_hash_map<uint64_t, std::shared_ptr<const hash::ScanWork>> midstates_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<uint64_t> leased_ ABSL_GUARDED_BY(mu_);
  std::vector<UnitOutcome> progress_ ABSL_GUARDED_BY(mu_);
  bool flush_now_ ABSL_GUARDED_BY(mu_) = false;
  ConnectionStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_MASTER_CONNECTION_H_
