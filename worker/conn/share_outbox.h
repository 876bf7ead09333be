// File: worker/conn/share_outbox.h
//
// The worker's share ledger: every share found is held here, under a worker-assigned share_id,
// until the master answers it with a verdict. A share written on a stream that then broke has
// an unknown fate, so on every (re)connect all unanswered shares are sent again; the master
// deduplicates by (worker, share_id) identity and the share's own fields. Shares found while
// the master is unreachable simply wait here (held by the worker, sent on reconnect).
//
// Each share belongs to the master whose work it was found on (a share is valid only in that
// master's pool session): it is written only to that master, and when the worker has left that
// master for good ExpireMaster ends it as master_lost, counted, never silently.
//
//   ShareOutbox outbox(/*capacity=*/100000);
//   uint64_t id = outbox.Add(found, /*master=*/0);  // device thread
//   for (auto& p : outbox.TakeUnsent(SIZE_MAX, 0)) Write(p);  // what this stream lacks
//   outbox.Ack(id);                             // verdict arrived
//   outbox.Requeue();                           // stream lost: resend the unanswered ones
//   outbox.ExpireMaster(1);                     // master 1 never came back
//
// Bounded: past `capacity` unanswered shares the oldest is dropped and counted (and logged),
// never silently.
//
// Thread-safety: thread-safe.
#ifndef SYNTH_WORKER_CONN_SHARE_OUTBOX_H_
#define SYNTH_WORKER_CONN_SHARE_OUTBOX_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "worker/scheduler/work_unit.h"

namespace synth::worker {

struct PendingShare {
  uint64_t share_id = 0;   // Worker-assigned, increasing from 1 within the process.
  FoundShare share;
  int sends = 0;           // Times written to a stream so far (before this one).
  int master = 0;          // Index of the master whose work it was found on.
};

struct OutboxCounts {
  uint64_t found = 0;       // Shares ever added.
  uint64_t answered = 0;    // Shares with a verdict.
  uint64_t pending = 0;     // Held, awaiting a verdict (sent or not).
  uint64_t unsent = 0;      // Held and not yet written on the current stream.
  uint64_t resent = 0;      // Writes beyond a share's first.
  uint64_t dropped = 0;     // Evicted past capacity.
  uint64_t master_lost = 0; // Ended by ExpireMaster: their master never came back.
};

class ShareOutbox {
 public:
  explicit ShareOutbox(size_t capacity = 100000) : capacity_(capacity) {}

  static constexpr int kAnyMaster = -1;

  // Holds a share found on the work of master `master`; returns its share_id.
  uint64_t Add(FoundShare share, int master = 0);
  // Returns the shares of `master` (kAnyMaster: of all) not yet written on the current stream,
  // oldest first (at most `max`), and marks them written.
  std::vector<PendingShare> TakeUnsent(size_t max = SIZE_MAX, int master = kAnyMaster);
  // Forgets a share the master answered. Returns false for an unknown id (already answered
  // or never sent).
  bool Ack(uint64_t share_id);
  // Marks every unanswered share unsent again (the stream they went out on is gone).
  void Requeue();
  // True when shares of `master` (kAnyMaster: any) wait to be written.
  bool HasUnsent(int master = kAnyMaster) const;
  // Returns the unanswered shares of `master`.
  uint64_t PendingFor(int master) const;
  // Ends every unanswered share of `master` as master_lost; returns how many.
  uint64_t ExpireMaster(int master);
  OutboxCounts Counts() const;

 private:
  const size_t capacity_;
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, PendingShare> pending_ ABSL_GUARDED_BY(mu_);  // By share_id.
  std::deque<uint64_t> unsent_ ABSL_GUARDED_BY(mu_);               // Ids, oldest first.
  OutboxCounts counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_SHARE_OUTBOX_H_
