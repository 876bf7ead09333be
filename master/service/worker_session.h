// File: master/service/worker_session.h
//
// One worker stream as the Cluster routes it: the StreamSink its reactor gives the Cluster, and
// the Session record the Cluster keeps for it (read by the views through Cluster::Inspect). A
// Session is also the share ledger's VerdictSink for its worker: verdicts become ShareVerdict
// messages on the stream.
//
// Thread-compatible: the Cluster's mutex guards every Session; Deliver is called by the ledger
// under its own lock (taken after the Cluster's).
#ifndef SYNTH_MASTER_SERVICE_WORKER_SESSION_H_
#define SYNTH_MASTER_SERVICE_WORKER_SESSION_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "master/service/messages.h"
#include "master/shares/share_ledger.h"
#include "synth/v1/worker.pb.h"

namespace synth::service {

// Where the Cluster sends a session's messages: one gRPC stream. Both calls are made with the
// Cluster's (or the share ledger's) mutex held; they must only queue and return.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues a message for the worker.
  virtual void Send(v1::MasterMessage msg) = 0;
  // Ends the stream with `status` (after the message in flight, if any).
  virtual void Close(const absl::Status& status) = 0;
};

struct Session : shares::VerdictSink {
  uint64_t id = 0;
  StreamSink* sink = nullptr;
  std::string worker_id, hostname, version, peer;
  absl::Time connected;
  bool request_pending = false;  // A LeaseRequest waits for work.
  double seconds_wanted = 0;
  uint64_t hashes_wanted = 0;
  SentMidstates sent;  // Midstates this stream has, by job.

  void Deliver(const shares::Verdict& v) override { sink->Send(VerdictMessage(v)); }
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_WORKER_SESSION_H_
