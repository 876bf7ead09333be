// File: master/service/fake_sink.h
//
// Test-only: a StreamSink that keeps what the Cluster sends to one worker.
//
//   FakeSink sink;
//   cluster.Connect(hello, "ipv4:127.0.0.1:1", &sink);
//   std::vector<v1::MasterMessage> grants = sink.Take(v1::MasterMessage::kLeaseGrant);
#ifndef SYNTH_MASTER_SERVICE_FAKE_SINK_H_
#define SYNTH_MASTER_SERVICE_FAKE_SINK_H_

#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "master/service/worker_session.h"
#include "synth/v1/worker.pb.h"

namespace synth::service {

class FakeSink : public StreamSink {
 public:
  void Send(v1::MasterMessage msg) override { sent.push_back(std::move(msg)); }
  void Close(const absl::Status& status) override { closed = status; }
  // Returns and forgets the messages of one kind.
  std::vector<v1::MasterMessage> Take(v1::MasterMessage::MsgCase kind) {
    std::vector<v1::MasterMessage> out, rest;
    for (auto& m : sent) (m.msg_case() == kind ? out : rest).push_back(m);
    sent = rest;
    return out;
  }
  std::vector<v1::MasterMessage> sent;
  std::optional<absl::Status> closed;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_FAKE_SINK_H_
