// File: worker/conn/fake_master.h
//
// An in-process stand-in for synth-master's WorkerService, for the worker's connection tests
// over loopback gRPC: welcomes a Hello, answers LeaseRequests with scripted units of an
// easy-target midstate, records shares/progress/telemetry, optionally answers shares, and can be
// stopped and restarted on the same port to simulate a master restart.
//
//   FakeMaster master({.units_per_grant = 4});
//   ASSERT_TRUE(master.Start(0).ok());               // ephemeral port
//   ... worker connects to master.Address() ...
//   master.Stop();  master.Start(master.Port());     // "restart"
//
// Thread-safety: thread-safe (one gRPC sync handler thread per stream).
#ifndef SYNTH_WORKER_CONN_FAKE_MASTER_H_
#define SYNTH_WORKER_CONN_FAKE_MASTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "synth/v1/worker.grpc.pb.h"
#include "worker/conn/wire.h"

namespace synth::worker {

class FakeMaster final : public synth::v1::WorkerService::Service {
 public:
  struct Script {
    // Units per LeaseGrant; 0 holds every request unanswered, as synth-master does while it
    // has no work.
    int units_per_grant = 4;
    uint64_t unit_nonces = uint64_t{1} << 22;
    bool answer_shares = true;
    // Most significant word of the share target (the rest are all ones): 0xffffffff makes
    // every nonce a share (fake devices); 0x0000ffff about one in 65536 (real devices).
    uint32_t target_top_word = 0xffffffff;
    std::string token;  // Required bearer token; "" accepts any.
    // Announce small HTTP/2 windows (no BDP probing), so that a worker's writes block after
    // about 64 KiB when the master stops reading, not after megabytes.
    bool small_windows = false;
    uint32_t telemetry_interval_ms = 100;  // Told in the Welcome.
  };
  struct Seen {
    std::vector<synth::v1::Hello> hellos;
    std::vector<std::string> auth;  // authorization metadata per stream.
    std::vector<synth::v1::Share> shares;
    std::vector<synth::v1::UnitProgress> progress;
    int lease_requests = 0;
    int telemetry = 0;
  };

  explicit FakeMaster(Script script) : script_(std::move(script)) {}
  ~FakeMaster() override { Stop(); }

  // Listens on 127.0.0.1:`port` (0 = ephemeral).
  absl::Status Start(int port) {
    grpc::ServerBuilder builder;
    int bound = 0;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                             &bound);
    builder.RegisterService(this);
    if (script_.small_windows) {
      builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
      builder.AddChannelArgument(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 64 * 1024);
    }
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || bound == 0) return absl::UnavailableError("cannot listen");
    port_ = bound;
    return absl::OkStatus();
  }
  // Ends every stream at once (as a crashed master would) and stops listening.
  void Stop() {
    if (server_ == nullptr) return;
    server_->Shutdown(std::chrono::system_clock::now());
    server_->Wait();
    server_.reset();
  }
  int Port() const { return port_; }
  std::string Address() const { return absl::StrCat("127.0.0.1:", port_); }

  // Sends `msg` on the newest stream; false if none.
  bool Push(const synth::v1::MasterMessage& msg) {
    absl::MutexLock lock(&mu_);
    if (stream_ == nullptr) return false;
    return stream_->Write(msg);
  }

  // While paused the master keeps the stream open but reads nothing (a wedged master), so the
  // worker's writes back up once flow control's windows are full.
  void PauseReading(bool paused) {
    absl::MutexLock lock(&mu_);
    paused_ = paused;
  }

  Seen Snapshot() {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  // Waits (bounded) until `pred(seen)` holds.
  template <typename Pred>
  bool WaitFor(Pred pred, absl::Duration timeout = absl::Seconds(10)) {
    absl::MutexLock lock(&mu_);
    auto cond = [&] { return pred(seen_); };
    return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
  }

  grpc::Status Connect(grpc::ServerContext* context,
                       grpc::ServerReaderWriter<synth::v1::MasterMessage,
                                                synth::v1::WorkerMessage>* stream) override {
    std::string auth;
    auto it = context->client_metadata().find("authorization");
    if (it != context->client_metadata().end()) auth.assign(it->second.data(), it->second.size());
    {
      absl::MutexLock lock(&mu_);
      seen_.auth.push_back(auth);
    }
    if (!script_.token.empty() && auth != "Bearer " + script_.token) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
    }
    synth::v1::WorkerMessage in;
    if (!stream->Read(&in) || !in.has_hello()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "Hello first");
    }
    {
      absl::MutexLock lock(&mu_);
      seen_.hellos.push_back(in.hello());
      stream_ = stream;
      synth::v1::MasterMessage welcome;
      welcome.mutable_welcome()->set_session_id(seen_.hellos.size());
      welcome.mutable_welcome()->set_telemetry_interval_ms(script_.telemetry_interval_ms);
      stream->Write(welcome);
    }
    while (true) {
      {
        absl::MutexLock lock(&mu_);
        while (paused_ && !context->IsCancelled()) {
          mu_.AwaitWithTimeout(absl::Condition(+[](bool* p) { return !*p; }, &paused_),
                               absl::Milliseconds(10));
        }
      }
      if (!stream->Read(&in)) break;
      Handle(in);
    }
    absl::MutexLock lock(&mu_);
    if (stream_ == stream) stream_ = nullptr;
    return grpc::Status::OK;
  }

 private:
  void Handle(const synth::v1::WorkerMessage& in) {
    absl::MutexLock lock(&mu_);
    synth::v1::MasterMessage out;
    if (in.has_lease_request()) {
      ++seen_.lease_requests;
      if (script_.units_per_grant == 0) return;  // Held: no work.
      synth::v1::LeaseGrant* g = out.mutable_lease_grant();
      g->set_lease_id(seen_.lease_requests);
      hash::ScanWork easy;
      easy.target.fill(0xffffffff);
      easy.target[7] = script_.target_top_word;
      *g->add_midstates() = MidstateMessage(next_midstate_, "job1", easy);
      for (int i = 0; i < script_.units_per_grant; ++i) {
        synth::v1::WorkUnit* u = g->add_units();
        u->set_unit_id(next_unit_++);
        u->set_job_id("job1");
        u->set_midstate_id(next_midstate_);
        u->set_nonce_start(0);
        u->set_nonce_count(script_.unit_nonces);
      }
      ++next_midstate_;
    } else if (in.has_share()) {
      seen_.shares.push_back(in.share());
      if (!script_.answer_shares) return;
      out.mutable_share_verdict()->set_share_id(in.share().share_id());
      out.mutable_share_verdict()->set_state(synth::v1::SHARE_STATE_ACCEPTED);
    } else if (in.has_progress()) {
      for (const auto& p : in.progress().units()) seen_.progress.push_back(p);
      return;
    } else {
      ++seen_.telemetry;
      return;
    }
    stream_->Write(out);
  }

  Script script_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  absl::Mutex mu_;
  grpc::ServerReaderWriter<synth::v1::MasterMessage, synth::v1::WorkerMessage>* stream_
      ABSL_GUARDED_BY(mu_) = nullptr;
  Seen seen_ ABSL_GUARDED_BY(mu_);
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_unit_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_midstate_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_FAKE_MASTER_H_
