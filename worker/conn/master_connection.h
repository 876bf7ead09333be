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
// Event-driven (docs/WORKER.md "Connection"): nothing polls. A lease request goes out when the
// scheduler signals that its queue fell below the low-water mark (and on a Welcome or a grant
// that left it low); progress, telemetry, the lease-request rate limit and the reconnect backoff
// are grpc::Alarm timers (alarm_timer.h); shares held back by a full write queue go out when
// the stream reactor reports the queue drained. With no master and nothing found the connection
// wakes only for its reconnect attempts.
//
// Nothing lost: shares are held in a ShareOutbox until their verdict arrives; those found or in
// flight while the master is unreachable are sent again on the next stream. When a stream ends
// the leased work is dropped (the master re-queues it, worker.proto), so no range is hashed for a
// lease that no longer exists.
//
// Several masters (`master` = "A:4650,B:4650", in priority order): a MasterFailoverPolicy
// (master_failover.h) picks the one to stream to. The worker moves to the next when a stream is
// lost and no reconnect succeeds within failover.failover_after, and back to an earlier one once
// it has been healthy (its gRPC channel READY at every check) for failover.return_after; a
// planned return stops leasing, waits (up to 2 s) for the verdicts of shares in flight, then
// closes the stream. Masters are independent (each has its own pool session): a share is sent
// only to the master whose work it was found on; if the worker has left that master and it does
// not come back within master_lost_after, the share ends master_lost (counted, logged).
// Unit ids are the worker's own in the scheduler and mapped back to the master's on the wire.
//
//   MasterConnection conn(ConnectionOptions{.master = "127.0.0.1:4650", .worker_id = "w1"});
//   Scheduler sched(std::move(devices), SchedulerOptions{}, conn.SchedulerHooks());
//   sched.Start();
//   conn.Start(&sched);
//   ...
//   conn.Shutdown(&sched, absl::Seconds(2));   // returns units, flushes shares, closes
//
// Thread-safety: thread-safe. Internally: gRPC reaction threads (incoming messages, the end of
// a stream), gRPC alarm threads (timers) and device threads (shares, outcomes, the low-water
// signal); none of them blocks. The scheduler must outlive the connection's use of it: stop it
// (Shutdown does) before destroying it.
#ifndef SYNTH_WORKER_CONN_MASTER_CONNECTION_H_
#define SYNTH_WORKER_CONN_MASTER_CONNECTION_H_

#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "synth/v1/worker.grpc.pb.h"
#include "worker/conn/alarm_timer.h"
#include "worker/conn/backoff.h"
#include "worker/conn/master_failover.h"
#include "worker/conn/share_outbox.h"
#include "worker/conn/stream_reactor.h"
#include "worker/scheduler/scheduler.h"

namespace synth::worker {

struct ConnectionOptions {
  // HOST:PORT of synth-master's worker service, or several, comma-separated, in priority order.
  std::string master = "127.0.0.1:4650";
  MasterFailoverOptions failover;         // With several masters.
  // Shares found on the work of a master the worker has left wait this long for it to come
  // back, then end master_lost. Shares of the master in use wait for it indefinitely.
  absl::Duration master_lost_after = absl::Minutes(2);
  // A planned return to an earlier master waits this long at most for the verdicts of the
  // shares in flight on the current one.
  absl::Duration return_grace = absl::Seconds(2);
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
  // Lease requests at most this often (a master answering with empty grants cannot cause a
  // request storm).
  absl::Duration lease_request_interval = absl::Milliseconds(50);
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
  // Never answered: their master was left and did not come back in time (outbox.master_lost).
  uint64_t shares_master_lost = 0;
  std::map<std::string, uint64_t> verdicts;  // ShareState name -> count.
  OutboxCounts outbox;
  uint64_t writes_deferred = 0;  // Flushes held back because the write queue was full.
  std::string master;            // The master streamed to (or being connected to).
  uint64_t master_moves = 0;     // Moves to another master (failovers and returns).
  size_t write_backlog = 0;      // Messages queued for writing now.
  uint64_t lease_requests = 0;   // LeaseRequests sent.
  uint64_t telemetry_sent = 0;   // Telemetry messages sent.
  // Timer callbacks that ran (progress, telemetry, lease rate limit, reconnect): how often the
  // connection woke up by itself rather than for a message, a share or a device signal.
  uint64_t wakeups = 0;
  std::string last_error;       // Status of the last stream that ended, "" if none.
};

class MasterConnection {
 public:
  explicit MasterConnection(ConnectionOptions options);
  ~MasterConnection();  // Closes the stream and stops the timers (without Shutdown's grace).
  MasterConnection(const MasterConnection&) = delete;
  MasterConnection& operator=(const MasterConnection&) = delete;

  // Returns the callbacks to build the Scheduler with (they feed this connection).
  SchedulerCallbacks SchedulerHooks();

  // Starts connecting and sets the scheduler's low-water mark. `scheduler` must outlive this
  // connection's use of it (until Shutdown or destruction). Call once.
  void Start(Scheduler* scheduler);

  // Graceful stop: no more lease requests; stops `scheduler` (its unfinished units come back
  // and are reported RETURNED), flushes Progress, waits up to `grace` for share verdicts and
  // the write queue, then closes the stream.
  void Shutdown(Scheduler* scheduler, absl::Duration grace);

  ConnectionStats Stats() const;
  // Returns the worker id sent in Hello.
  const std::string& WorkerId() const { return options_.worker_id; }

 private:
  // Stream lifecycle and timers (master_connection.cc).
  void OpenStream();
  void OnStreamDone(const grpc::Status& status);
  // Timers off for good, the stream closed (half-closed when `graceful`, else cancelled) and its
  // OnDone waited for (1 s, then cancelled).
  void CloseAndWait(bool graceful);
  void OnProgressTimer();
  void OnTelemetryTimer();
  void OnLowWater();
  // Master failover (master_connection_failover.cc).
  void OnFailoverTimer();
  void OnProbeTimer();
  void OnLostTimer();
  // After a stream ended: asks the policy where to go next and arms the reconnect.
  void ScheduleNextStreamLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bookkeeping when policy_.current() changed from `from`.
  void MovedLocked(int from) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A planned return: closes the stream once the current master's units and shares are done.
  void FinishReturnIfReadyLocked(bool force) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends a LeaseRequest if the stream is welcomed, none is outstanding and less than
  // low_water is buffered; within lease_request_interval of the last one, arms lease_timer_.
  void RequestLeaseIfLowLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndStreamLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Messages and scheduler events (master_connection_messages.cc).
  void OnMessage(const synth::v1::MasterMessage& msg);
  void OnWelcome(const synth::v1::Welcome& welcome);
  void OnGrant(const synth::v1::LeaseGrant& grant);
  void OnCancel(const synth::v1::Cancel& cancel);
  void OnVerdict(const synth::v1::ShareVerdict& verdict);
  void OnShare(FoundShare share);
  void OnUnitDone(UnitOutcome outcome);
  void OnDrained();
  // True (and counted, logged now and then) when the stream's write queue is at
  // max_write_backlog: shares and progress then wait until the reactor reports it drained.
  bool WriteQueueFullLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushSharesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FlushProgressLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  struct Master {
    std::string address;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<synth::v1::WorkerService::Stub> stub;
  };
  // A unit in the scheduler, under the worker's own id.
  struct Leased {
    int master = 0;
    uint64_t remote_id = 0;  // The master's unit id.
    uint64_t stream = 0;     // stream_seq_ of the stream that leased it.
  };

  // Constant after construction.
  const ConnectionOptions options_;
  std::vector<Master> masters_;  // In priority order.
  ShareOutbox outbox_;

  absl::Mutex open_mu_;  // Held through OpenStream (before mu_).
  mutable absl::Mutex mu_;
  Scheduler* scheduler_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;  // Shutdown: no new leases.
  Backoff backoff_ ABSL_GUARDED_BY(mu_);
  MasterFailoverPolicy policy_ ABSL_GUARDED_BY(mu_);
  int stream_master_ ABSL_GUARDED_BY(mu_) = 0;   // Master of the live (or last) stream.
  uint64_t stream_seq_ ABSL_GUARDED_BY(mu_) = 0;  // Streams opened.
  int returning_to_ ABSL_GUARDED_BY(mu_) = -1;   // A planned return in progress, or -1.
  // Per master: when the worker left it (its shares' master_lost clock); InfiniteFuture when
  // it is the current master or has nothing waiting.
  std::vector<absl::Time> left_at_ ABSL_GUARDED_BY(mu_);
  // The live stream, or nullptr. Send() on it only with mu_ held (lock order: mu_, then the
  // scheduler's and the reactor's own locks). Owned by stream_owner_ until its OnDone, then by
  // finished_ until the next OpenStream (a reactor is never destroyed inside its own OnDone).
  StreamReactor* stream_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::unique_ptr<StreamReactor> stream_owner_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<StreamReactor> finished_ ABSL_GUARDED_BY(mu_);
  bool welcomed_ ABSL_GUARDED_BY(mu_) = false;
  bool auth_refused_ ABSL_GUARDED_BY(mu_) = false;  // The last stream ended UNAUTHENTICATED.
  bool lease_outstanding_ ABSL_GUARDED_BY(mu_) = false;
  bool deferred_ ABSL_GUARDED_BY(mu_) = false;  // Writes held back for a full queue.
  absl::Time next_lease_ok_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_progress_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time last_telemetry_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  double idle_seconds_ ABSL_GUARDED_BY(mu_) = 0;  // Devices' summed idle time then.
  absl::Duration telemetry_interval_ ABSL_GUARDED_BY(mu_) = absl::Seconds(1);
  double master_lease_seconds_ ABSL_GUARDED_BY(mu_) = 0;
  // Per stream: midstates received, and the master's unit ids leased (not yet reported) with
  // the worker's ids for them.
  absl::flat_hash_map<uint64_t, std::shared_ptr<const hash::ScanWork>> midstates_
      ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, uint64_t> leased_ ABSL_GUARDED_BY(mu_);
  // Every unit in the scheduler, by the worker's id, until its outcome.
  absl::flat_hash_map<uint64_t, Leased> units_ ABSL_GUARDED_BY(mu_);
  uint64_t next_unit_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::vector<UnitOutcome> progress_ ABSL_GUARDED_BY(mu_);
  ConnectionStats stats_ ABSL_GUARDED_BY(mu_);

  // Timers last: destroyed (and waited for) first. Their callbacks run on gRPC threads.
  AlarmTimer reconnect_timer_{[this] { OpenStream(); }};
  AlarmTimer lease_timer_{[this] {
    absl::MutexLock lock(&mu_);
    RequestLeaseIfLowLocked();
  }};
  AlarmTimer progress_timer_{[this] { OnProgressTimer(); }};
  AlarmTimer telemetry_timer_{[this] { OnTelemetryTimer(); }};
  AlarmTimer failover_timer_{[this] { OnFailoverTimer(); }};  // Abandons a hung attempt.
  AlarmTimer probe_timer_{[this] { OnProbeTimer(); }};        // Health of earlier masters.
  AlarmTimer lost_timer_{[this] { OnLostTimer(); }};          // master_lost expiry.
  AlarmTimer return_timer_{[this] {                          // A return's grace.
    absl::MutexLock lock(&mu_);
    FinishReturnIfReadyLocked(/*force=*/true);
  }};
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_MASTER_CONNECTION_H_
