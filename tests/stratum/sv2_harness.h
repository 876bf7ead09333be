// File: tests/stratum/sv2_harness.h
//
// Test-only: an SV2 client as the master's client will drive one (io thread, the real transport
// from AsioSv2TransportFactory, an Sv2Session, a tick timer), observed from the test thread.
//
//   Sv2TestClient c(pool->sv2_url());
//   c.Start();
//   ASSERT_TRUE(WaitFor([&] { return c.job_count() >= 1; }));
//   SubmitResult r = c.SubmitAndWait(share);
//
// Every wait is a bounded poll (tests/wait_for.h).
#ifndef SYNTH_TESTS_STRATUM_SV2_HARNESS_H_
#define SYNTH_TESTS_STRATUM_SV2_HARNESS_H_

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "asio.hpp"
#include "master/stratum/pool_url.h"
#include "master/stratum/sv2_session.h"
#include "master/stratum/sv2_transport.h"
#include "tests/stratum/harness.h"
#include "tests/wait_for.h"

namespace synth::stratum::testing {

class Sv2TestClient : public Sv2Session::Delegate {
 public:
  explicit Sv2TestClient(const std::string& url, Sv2SessionConfig config = {},
                         Sv2TransportFactory factory = AsioSv2TransportFactory(5))
      : factory_(std::move(factory)), config_(std::move(config)) {
    absl::StatusOr<PoolUrl> u = ParsePoolUrl(url);
    url_ok_ = u.status();
    if (u.ok()) url_ = *u;
    if (config_.user.empty()) config_.user = "alice.sv2";
    config_.endpoint_host = url_.host;
    config_.endpoint_port = url_.port;
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Sv2TestClient() override {
    OnIo([this] {
      tick_.cancel();
      if (session_) session_->AbortPending(SubmitOutcome::kTimedOut, "test ends");
      transport_.reset();
      session_.reset();
    });
    work_.reset();
    io_.stop();
    thread_.join();
  }

  const absl::Status& url_status() const { return url_ok_; }

  void Start() {
    OnIo([this] {
      session_ = std::make_unique<Sv2Session>(config_, this, 1, url_.ToString());
      transport_ = factory_(io_, url_);
      transport_->Start({.on_connected = [this] { session_->Begin(absl::Now()); },
                         .on_frame =
                             [this](sv2::Frame f) {
                               absl::Status s = session_->OnFrame(f, absl::Now());
                               if (!s.ok()) Closed(s);
                             },
                         .on_closed = [this](absl::Status why) { Closed(why); }});
      Tick();
    });
  }

  // Runs `fn` on the io thread and waits for it.
  void OnIo(std::function<void()> fn) {
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  SubmitResult SubmitAndWait(const ClientShare& share, int timeout_ms = 10000) {
    auto result = std::make_shared<std::optional<SubmitResult>>();
    auto mu = std::make_shared<absl::Mutex>();
    OnIo([&] {
      session_->Submit(
          share,
          [result, mu](const SubmitResult& r) {
            absl::MutexLock l(mu.get());
            *result = r;
          },
          absl::Now());
    });
    bool done = synth::testing::WaitFor(
        [&] {
          absl::MutexLock l(mu.get());
          return result->has_value();
        },
        timeout_ms);
    EXPECT_TRUE(done) << "no verdict";
    absl::MutexLock l(mu.get());
    return result->value_or(SubmitResult{SubmitOutcome::kTimedOut, 0, "test timeout", false});
  }

  // The session's current difficulty (the pool's last SetTarget).
  double difficulty() {
    double d = 0;
    OnIo([&] { d = session_->difficulty(); });
    return d;
  }

  void SuggestDifficulty(double d) {
    OnIo([&] { session_->SuggestDifficulty(d, absl::Now()); });
  }

  // ---- observations (any thread) ----
  size_t job_count() { return miner_.job_count(); }
  ClientJob last_job() { return miner_.last_job(); }
  bool ready() {
    absl::MutexLock l(&mu_);
    return ready_;
  }
  std::optional<absl::Status> closed() {
    absl::MutexLock l(&mu_);
    return closed_;
  }
  std::vector<ReconnectParams> reconnects() {
    absl::MutexLock l(&mu_);
    return reconnects_;
  }

  // ---- Sv2Session::Delegate (io thread) ----
  void SendFrame(sv2::Frame frame) override {
    if (transport_) transport_->Send(std::move(frame));
  }
  void OnReady() override {
    absl::MutexLock l(&mu_);
    ready_ = true;
  }
  void OnJob(const ClientJob& job) override { on_job_(job); }
  void OnReconnect(const ReconnectParams& p) override {
    absl::MutexLock l(&mu_);
    reconnects_.push_back(p);
  }

 private:
  void Closed(const absl::Status& why) {
    {
      absl::MutexLock l(&mu_);
      if (!closed_) closed_ = why;
    }
    if (transport_) transport_->Close();
  }
  void Tick() {
    tick_.expires_after(std::chrono::milliseconds(50));
    tick_.async_wait([this](const asio::error_code& ec) {
      if (ec || !session_) return;
      absl::Status s = session_->Tick(absl::Now());
      if (!s.ok()) Closed(s);
      Tick();
    });
  }

  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      io_.get_executor()};
  asio::steady_timer tick_{io_};
  Sv2TransportFactory factory_;
  Sv2SessionConfig config_;
  PoolUrl url_;
  absl::Status url_ok_;
  std::unique_ptr<Sv2Transport> transport_;  // io thread
  std::unique_ptr<Sv2Session> session_;      // io thread
  std::thread thread_;

  Miner miner_;  // Records the jobs.
  std::function<void(const ClientJob&)> on_job_ = miner_.Callbacks().on_job;
  absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<absl::Status> closed_ ABSL_GUARDED_BY(mu_);
  std::vector<ReconnectParams> reconnects_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::stratum::testing

#endif  // SYNTH_TESTS_STRATUM_SV2_HARNESS_H_
