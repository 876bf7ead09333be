#include "worker/conn/master_connection.h"

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/conn/fake_master.h"
#include "worker/conn/test_worker.h"

namespace synth::worker {
namespace {

namespace v1 = ::synth::v1;
using ::testing::HasSubstr;

TEST(MasterConnectionTest, HelloLeaseHashShareVerdictAndProgress) {
  FakeMaster master({});
  ASSERT_TRUE(master.Start(0).ok());
  TestWorker worker(master.Address());
  ASSERT_TRUE(master.WaitFor([](const FakeMaster::Seen& s) {
    return s.shares.size() >= 8 && s.progress.size() >= 2 && s.telemetry >= 1 &&
           s.lease_requests >= 2;
  }));
  FakeMaster::Seen seen = master.Snapshot();
  ASSERT_EQ(seen.hellos.size(), 1u);
  EXPECT_EQ(seen.hellos[0].worker_id(), "w1");
  EXPECT_EQ(seen.hellos[0].protocol_version(), 1u);
  ASSERT_EQ(seen.hellos[0].devices_size(), 1);
  EXPECT_EQ(seen.hellos[0].devices(0).name(), "cpu0");
  EXPECT_EQ(seen.auth[0], "Bearer tok");
  EXPECT_EQ(seen.progress[0].state(), v1::UNIT_STATE_COMPLETED);
  EXPECT_EQ(seen.progress[0].hashes_done(), uint64_t{1} << 22);
  EXPECT_EQ(seen.shares[0].nonce() % (1 << 20), 0u);
  EXPECT_EQ(seen.shares[0].job_id(), "job1");
  EXPECT_GE(seen.lease_requests, 2) << "the worker must ask again as its buffer drains";
  absl::SleepFor(absl::Milliseconds(50));
  ConnectionStats stats = worker.conn->Stats();
  EXPECT_TRUE(stats.connected);
  EXPECT_GT(stats.shares_accepted, 0u);
  EXPECT_EQ(stats.shares_rejected, 0u);
}

TEST(MasterConnectionTest, ReconnectsWithBackoffAndSaysHelloAgain) {
  auto master = std::make_unique<FakeMaster>(FakeMaster::Script{});
  ASSERT_TRUE(master->Start(0).ok());
  int port = master->Port();
  TestWorker worker(master->Address());
  ASSERT_TRUE(master->WaitFor([](const FakeMaster::Seen& s) { return !s.shares.empty(); }));
  master->Stop();
  // A few failed attempts while nobody listens (bounded wait: sanitizers slow everything).
  for (int i = 0; i < 500 && worker.conn->Stats().streams < 3; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_FALSE(worker.conn->Stats().connected);
  auto restarted = std::make_unique<FakeMaster>(FakeMaster::Script{});
  ASSERT_TRUE(restarted->Start(port).ok());
  absl::Time t0 = absl::Now();
  ASSERT_TRUE(restarted->WaitFor([](const FakeMaster::Seen& s) { return !s.shares.empty(); }));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(3)) << "resume took too long";
  EXPECT_EQ(restarted->Snapshot().hellos.size(), 1u);
  ConnectionStats stats = worker.conn->Stats();
  EXPECT_GE(stats.streams, 3u) << "failed attempts count as streams too";
  EXPECT_EQ(stats.welcomes, 2u);
}

TEST(MasterConnectionTest, UnansweredSharesAreSentAgainAfterReconnect) {
  auto silent = std::make_unique<FakeMaster>(FakeMaster::Script{.answer_shares = false});
  ASSERT_TRUE(silent->Start(0).ok());
  int port = silent->Port();
  TestWorker worker(silent->Address());
  ASSERT_TRUE(silent->WaitFor([](const FakeMaster::Seen& s) { return s.shares.size() >= 5; }));
  silent->Stop();
  std::set<uint64_t> first_ids;
  for (const v1::Share& s : silent->Snapshot().shares) first_ids.insert(s.share_id());
  EXPECT_GE(worker.conn->Stats().outbox.pending, first_ids.size());

  auto answering = std::make_unique<FakeMaster>(FakeMaster::Script{});
  ASSERT_TRUE(answering->Start(port).ok());
  ASSERT_TRUE(answering->WaitFor([&](const FakeMaster::Seen& seen) {
    std::set<uint64_t> got;
    for (const v1::Share& s : seen.shares) got.insert(s.share_id());
    for (uint64_t id : first_ids) {
      if (!got.contains(id)) return false;
    }
    return true;
  })) << "held shares were not delivered after the reconnect";
  absl::SleepFor(absl::Milliseconds(100));
  ConnectionStats stats = worker.conn->Stats();
  EXPECT_GE(stats.outbox.resent, first_ids.size());
  EXPECT_GE(stats.shares_accepted, first_ids.size());
  EXPECT_EQ(stats.outbox.dropped, 0u);
}

TEST(MasterConnectionTest, WrongTokenIsRefusedAndRetried) {
  FakeMaster master({.token = "right"});
  ASSERT_TRUE(master.Start(0).ok());
  TestWorker worker(master.Address(), {}, "wrong");
  ASSERT_TRUE(master.WaitFor([](const FakeMaster::Seen& s) { return s.auth.size() >= 2; }));
  FakeMaster::Seen seen = master.Snapshot();
  EXPECT_TRUE(seen.hellos.empty());
  EXPECT_EQ(seen.auth[0], "Bearer wrong");
  ConnectionStats stats = worker.conn->Stats();
  EXPECT_EQ(stats.welcomes, 0u);
  EXPECT_THAT(stats.last_error, HasSubstr("bad token"));
}

TEST(MasterConnectionTest, CancelFromMasterStopsTheUnitWithinMilliseconds) {
  FakeMaster master({.units_per_grant = 1, .unit_nonces = uint64_t{1} << 32});
  ASSERT_TRUE(master.Start(0).ok());
  // Real-time device: 1000 nonces per ms, so the 2^32 unit would take days.
  TestWorker worker(master.Address(), {.real_chunk = 1000, .per_thread_clock = false});
  ASSERT_TRUE(master.WaitFor([](const FakeMaster::Seen& s) { return s.lease_requests >= 1; }));
  absl::SleepFor(absl::Milliseconds(50));
  v1::MasterMessage cancel;
  cancel.mutable_cancel()->add_job_ids("job1");
  cancel.mutable_cancel()->set_reason(v1::CANCEL_REASON_CLEAN_JOB);
  absl::Time t0 = absl::Now();
  ASSERT_TRUE(master.Push(cancel));
  ASSERT_TRUE(master.WaitFor([](const FakeMaster::Seen& s) {
    for (const auto& p : s.progress) {
      if (p.unit_id() == 1 && p.state() == v1::UNIT_STATE_CANCELLED) return true;
    }
    return false;
  }));
  // Progress is batched every 100 ms; the scan itself stops within ~1 ms.
  EXPECT_LT(absl::Now() - t0, absl::Milliseconds(400));
}

TEST(MasterConnectionTest, ShutdownReturnsUnfinishedUnits) {
  FakeMaster master({.units_per_grant = 2, .unit_nonces = uint64_t{1} << 32});
  ASSERT_TRUE(master.Start(0).ok());
  auto worker = std::make_unique<TestWorker>(
      master.Address(), FakeDevice::Script{.real_chunk = 1000, .per_thread_clock = false});
  ASSERT_TRUE(master.WaitFor([](const FakeMaster::Seen& s) { return s.lease_requests >= 1; }));
  absl::SleepFor(absl::Milliseconds(50));
  worker.reset();  // Shutdown: returns both units before closing.
  FakeMaster::Seen seen = master.Snapshot();
  int returned = 0;
  for (const auto& p : seen.progress) returned += p.state() == v1::UNIT_STATE_RETURNED;
  EXPECT_GE(returned, 2);
}

// A master that stays connected but stops reading: the worker's write queue stops at
// max_write_backlog, shares wait in the outbox, and once the master reads again every share
// found arrives, none twice.
TEST(MasterConnectionTest, AMasterThatStopsReadingBoundsTheWriteQueueAndLosesNoShare) {
  FakeMaster master(
      {.units_per_grant = 4, .unit_nonces = uint64_t{1} << 31, .small_windows = true});
  ASSERT_TRUE(master.Start(0).ok());
  TestWorker worker(master.Address(), FakeDevice::Script{.rate_hps = 1e7, .share_every = 1 << 16},
                "tok", /*outbox_capacity=*/1'000'000);
  ASSERT_TRUE(master.WaitFor([](const FakeMaster::Seen& s) { return s.shares.size() >= 10; }));
  master.PauseReading(true);
  // Writes back up once flow control's windows and the socket buffers fill; from then on
  // shares wait in the outbox and the write queue stays at its bound.
  size_t most = 0;
  bool held = false;
  for (int i = 0; i < 2000 && !held; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    ConnectionStats s = worker.conn->Stats();
    most = std::max(most, s.write_backlog);
    held = s.outbox.unsent > 100;
  }
  ASSERT_TRUE(held) << "shares never backed up into the outbox";
  for (int i = 0; i < 50; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
    most = std::max(most, worker.conn->Stats().write_backlog);
  }
  ConnectionStats during = worker.conn->Stats();
  EXPECT_LE(most, 256u) << "the write queue passed max_write_backlog";
  EXPECT_GT(during.writes_deferred, 0u);
  EXPECT_EQ(during.outbox.dropped, 0u);
  // Stop finding shares, then every share found must reach the master exactly once.
  worker.sched->Stop();
  master.PauseReading(false);
  ASSERT_TRUE(master.WaitFor(
      [&](const FakeMaster::Seen& s) {
        return s.shares.size() >= worker.conn->Stats().outbox.found;
      },
      absl::Seconds(30)));
  absl::SleepFor(absl::Milliseconds(200));
  FakeMaster::Seen seen = master.Snapshot();
  ConnectionStats after = worker.conn->Stats();
  std::set<uint64_t> ids;
  for (const auto& sh : seen.shares) EXPECT_TRUE(ids.insert(sh.share_id()).second) << "twice";
  EXPECT_EQ(ids.size(), after.outbox.found);
  EXPECT_EQ(after.outbox.dropped, 0u);
}

}  // namespace
}  // namespace synth::worker
