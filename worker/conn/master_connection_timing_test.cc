// When the worker's connection wakes up: lease requests follow the scheduler's low-water signal
// (no timer), an idle connection wakes only for telemetry, a worker whose master is down only
// for its reconnect attempts, and Shutdown returns as soon as everything is answered. Each test
// waits for master-side events with a deadline and then counts the connection's wakeups
// (ConnectionStats::wakeups: timer callbacks that ran).
#include <memory>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "worker/conn/fake_master.h"
#include "worker/conn/master_connection.h"
#include "worker/conn/test_worker.h"

namespace synth::worker {
namespace {

TEST(MasterConnectionTimingTest, LeaseRequestsFollowTheDrainingBufferNotATimer) {
  // 2^25 nonces per grant at 1e7 H/s (fake time) is 3.4 s of work, far above a 100 ms mark:
  // each request can only come from the scheduler's low-water signal as the unit drains. In
  // real time a unit takes 67 batches of >= 1 ms, longer than the 50 ms request rate limit.
  FakeMaster master({.units_per_grant = 1,
                     .unit_nonces = uint64_t{1} << 25,
                     .telemetry_interval_ms = 3'600'000});
  ASSERT_TRUE(master.Start(0).ok());
  TestWorker worker(master.Address(), FakeDevice::Script{.rate_hps = 1e7}, "tok", 100000,
                    [](ConnectionOptions& o) {
                      o.low_water = absl::Milliseconds(100);
                      o.progress_interval = absl::Hours(1);  // No progress timer either.
                    });
  ASSERT_TRUE(master.WaitFor(
      [](const FakeMaster::Seen& s) { return s.lease_requests >= 5; }, absl::Seconds(60)));
  ConnectionStats stats = worker.conn->Stats();
  EXPECT_GE(stats.lease_requests, 5u);
  EXPECT_GE(stats.units_leased, 4u);
  // The only timers that ran: the Welcome's immediate telemetry and the first progress flush
  // (the next is an hour away). No request waited for the 50 ms rate limit: each went out
  // when the buffer fell low.
  EXPECT_LE(stats.wakeups, 2u);
}

TEST(MasterConnectionTimingTest, AnIdleConnectionWakesOnlyForTelemetry) {
  // A master with no work holds the request; telemetry every 100 ms is all there is to do.
  FakeMaster master({.units_per_grant = 0, .telemetry_interval_ms = 100});
  ASSERT_TRUE(master.Start(0).ok());
  TestWorker worker(master.Address());
  ASSERT_TRUE(master.WaitFor([](const FakeMaster::Seen& s) { return s.telemetry >= 8; }));
  ConnectionStats stats = worker.conn->Stats();
  FakeMaster::Seen seen = master.Snapshot();
  EXPECT_EQ(seen.lease_requests, 1) << "one request, held by the master, is all that goes out";
  EXPECT_GE(stats.telemetry_sent, 8u);
  // One wakeup per telemetry message (and at most one more running now); a 10 ms tick would
  // have woken ~10 times per telemetry.
  EXPECT_LE(stats.wakeups, stats.telemetry_sent + 1);
}

TEST(MasterConnectionTimingTest, NoBusyLoopWhileTheMasterIsDown) {
  auto gone = std::make_unique<FakeMaster>(FakeMaster::Script{});
  ASSERT_TRUE(gone->Start(0).ok());
  std::string address = gone->Address();
  gone->Stop();  // Nothing listens there now.
  absl::Time start = absl::Now();
  TestWorker worker(address);  // Backoff 50 ms growing to 200 ms.
  absl::Time deadline = start + absl::Seconds(30);
  while (worker.conn->Stats().streams < 8 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ConnectionStats stats = worker.conn->Stats();
  absl::Duration took = absl::Now() - start;
  ASSERT_GE(stats.streams, 8u);
  EXPECT_FALSE(stats.connected);
  // Each attempt is one reconnect wakeup; nothing else runs while disconnected.
  EXPECT_LE(stats.wakeups, stats.streams);
  // And the attempts are spaced by the backoff (>= 40 ms each after jitter), not a spin.
  EXPECT_GE(took, absl::Milliseconds(40) * static_cast<double>(stats.streams - 1));
}

TEST(MasterConnectionTimingTest, ShutdownReturnsOnceEverythingIsAnswered) {
  FakeMaster master({});
  ASSERT_TRUE(master.Start(0).ok());
  auto worker = std::make_unique<TestWorker>(master.Address());
  ASSERT_TRUE(master.WaitFor([](const FakeMaster::Seen& s) { return s.shares.size() >= 3; }));
  Scheduler* sched = worker->sched.get();
  absl::Time t0 = absl::Now();
  worker->conn->Shutdown(sched, absl::Seconds(20));
  absl::Duration took = absl::Now() - t0;
  // Not the 20 s grace: the verdicts and the drained write queue end the wait.
  EXPECT_LT(took, absl::Seconds(10));
  ConnectionStats stats = worker->conn->Stats();
  EXPECT_EQ(stats.outbox.pending, 0u);
  worker->sched.reset();  // Shut down already.
}

}  // namespace
}  // namespace synth::worker
