// File: tests/stratum/harness.h
//
// Loopback harness: synth-pool in-process on an ephemeral port and the Stratum client against
// it, with a "miner" that finds real shares at tiny difficulty. Waits are bounded polls.
#ifndef SYNTH_TESTS_STRATUM_HARNESS_H_
#define SYNTH_TESTS_STRATUM_HARNESS_H_

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "master/pool/find_share.h"
#include "master/pool/server.h"
#include "master/stratum/client.h"
#include "tests/wait_for.h"

namespace synth::stratum::testing {

inline constexpr double kTinyDiff = 1e-5;  // ~43k hashes per share.

using ::synth::testing::WaitFor;

inline std::unique_ptr<pool::PoolServer> StartPool(double difficulty = kTinyDiff, int port = 0) {
  pool::PoolOptions o;
  o.listen_port = port;
  o.difficulty = difficulty;
  o.job_interval_s = 0;
  absl::StatusOr<std::unique_ptr<pool::PoolServer>> p = pool::PoolServer::Start(o);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

inline std::string Url(int port) { return "stratum+tcp://127.0.0.1:" + std::to_string(port); }

// Records jobs and submit results from the client's io thread.
class Miner {
 public:
  ClientCallbacks Callbacks() {
    ClientCallbacks cb;
    cb.on_job = [this](const ClientJob& j) {
      absl::MutexLock l(&mu_);
      jobs_.push_back(j);
    };
    return cb;
  }
  std::vector<ClientJob> jobs() {
    absl::MutexLock l(&mu_);
    return jobs_;
  }
  size_t job_count() {
    absl::MutexLock l(&mu_);
    return jobs_.size();
  }
  // The newest job. A client reports `connected` before the pool's first job arrives, so this
  // waits up to 5 s for one rather than read an empty list; none by then is a test failure.
  ClientJob last_job() {
    absl::MutexLock l(&mu_);
    auto any = [](std::vector<ClientJob>* jobs) { return !jobs->empty(); };
    if (!mu_.AwaitWithTimeout(absl::Condition(+any, &jobs_), absl::Seconds(5))) {
      ADD_FAILURE() << "no job from the pool within 5 s";
      return ClientJob{};
    }
    return jobs_.back();
  }
  // Finds a share for `job` meeting `difficulty` (default: the job's own).
  static ClientShare FindShare(const ClientJob& job, uint32_t en2 = 1, uint32_t version_bits = 0,
                               std::optional<double> difficulty = std::nullopt) {
    ClientShare s;
    s.job_id = job.job.job_id;
    s.extranonce2.assign(static_cast<size_t>(job.extranonce2_size), 0);
    for (size_t i = 0; i < s.extranonce2.size() && i < 4; ++i) s.extranonce2[i] = uint8_t(en2 >> (8 * i));
    s.ntime = job.job.ntime;
    s.difficulty = job.difficulty;
    s.version = (job.job.version & ~job.version_mask) | (version_bits & job.version_mask);
    std::optional<uint32_t> n = pool::FindNonce(job.job, job.extranonce1, s.extranonce2, s.version,
                                                s.ntime, difficulty.value_or(job.difficulty));
    EXPECT_TRUE(n.has_value());
    s.nonce = n.value_or(0);
    return s;
  }
  // Submits and waits for the verdict.
  static SubmitResult SubmitAndWait(Client& c, const ClientShare& s, int timeout_ms = 5000) {
    auto r = std::make_shared<std::optional<SubmitResult>>();
    auto mu = std::make_shared<absl::Mutex>();
    c.Submit(s, [r, mu](const SubmitResult& res) {
      absl::MutexLock l(mu.get());
      *r = res;
    });
    bool done = WaitFor([&] {
      absl::MutexLock l(mu.get());
      return r->has_value();
    }, timeout_ms);
    EXPECT_TRUE(done) << "no verdict";
    absl::MutexLock l(mu.get());
    return r->value_or(SubmitResult{SubmitOutcome::kTimedOut, 0, "test timeout", false});
  }

 private:
  absl::Mutex mu_;
  std::vector<ClientJob> jobs_ ABSL_GUARDED_BY(mu_);
};

inline ClientOptions FastOptions(std::vector<PoolEndpoint> pools) {
  ClientOptions o;
  o.pools = std::move(pools);
  o.backoff_initial = absl::Milliseconds(30);
  o.backoff_max = absl::Milliseconds(200);
  o.primary_retry = absl::Milliseconds(200);
  o.tick = absl::Milliseconds(20);
  o.session.request_timeout = absl::Seconds(2);
  o.session.submit_timeout = absl::Seconds(3);
  o.seed = 42;
  return o;
}

// Creates and starts a client whose jobs `miner` records; nullptr (and a test failure) when
// the options do not make one.
inline std::unique_ptr<Client> StartClient(Miner& miner, ClientOptions o) {
  absl::StatusOr<std::unique_ptr<Client>> c = Client::Create(std::move(o), miner.Callbacks());
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return nullptr;
  (*c)->Start();
  return std::move(*c);
}

}  // namespace synth::stratum::testing

#endif  // SYNTH_TESTS_STRATUM_HARNESS_H_
