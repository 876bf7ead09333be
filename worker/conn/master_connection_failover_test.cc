// A worker with two masters over loopback gRPC: failover when the first dies, shares that go
// only to the master whose work they were found on (and end master_lost when it stays away),
// the return to the first master after the hold, and an attempt that hangs on a master that
// accepts connections but never answers. Waits are bounded; failover and return times are
// shortened.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "worker/conn/fake_master.h"
#include "worker/conn/master_connection.h"
#include "worker/conn/test_worker.h"

namespace synth::worker {
namespace {

// Fast failover: 300 ms without a reconnect moves on; `return_ms` of health brings it back.
std::function<void(ConnectionOptions&)> Fast(int return_ms = 3'600'000, int lost_ms = 120'000) {
  return [=](ConnectionOptions& o) {
    o.failover = {.failover_after = absl::Milliseconds(300),
                  .return_after = absl::Milliseconds(return_ms),
                  .probe_interval = absl::Milliseconds(50)};
    o.master_lost_after = absl::Milliseconds(lost_ms);
  };
}

// Waits (bounded) until `pred()` holds.
template <typename Pred>
bool Eventually(Pred pred, absl::Duration timeout = absl::Seconds(20)) {
  absl::Time deadline = absl::Now() + timeout;
  while (!pred() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  return pred();
}

std::set<uint64_t> ShareIds(const FakeMaster::Seen& seen) {
  std::set<uint64_t> ids;
  for (const auto& s : seen.shares) ids.insert(s.share_id());
  return ids;
}

TEST(MasterFailoverConnectionTest, MovesToTheSecondMasterWhenTheFirstDies) {
  FakeMaster a({}), b({});
  ASSERT_TRUE(a.Start(0).ok());
  ASSERT_TRUE(b.Start(0).ok());
  TestWorker worker(absl::StrCat(a.Address(), ",", b.Address()), {}, "tok", 100000, Fast());
  ASSERT_TRUE(a.WaitFor([](const FakeMaster::Seen& s) { return s.shares.size() >= 3; }));
  EXPECT_EQ(worker.conn->Stats().master, a.Address());
  EXPECT_TRUE(b.Snapshot().hellos.empty()) << "the second master is a standby";
  absl::Time killed = absl::Now();
  a.Stop();
  ASSERT_TRUE(b.WaitFor([](const FakeMaster::Seen& s) { return !s.shares.empty(); }));
  absl::Duration took = absl::Now() - killed;
  ConnectionStats stats = worker.conn->Stats();
  EXPECT_EQ(stats.master, b.Address());
  EXPECT_EQ(stats.master_moves, 1u);
  EXPECT_LT(took, absl::Seconds(10)) << "failover after 300 ms without a reconnect";
}

TEST(MasterFailoverConnectionTest, SharesGoOnlyToTheirMasterAndEndMasterLostWhenItStaysAway) {
  FakeMaster a({.answer_shares = false}), b({});
  ASSERT_TRUE(a.Start(0).ok());
  ASSERT_TRUE(b.Start(0).ok());
  TestWorker worker(absl::StrCat(a.Address(), ",", b.Address()), {}, "tok", 100000,
                    Fast(/*return_ms=*/3'600'000, /*lost_ms=*/500));
  ASSERT_TRUE(a.WaitFor([](const FakeMaster::Seen& s) { return s.shares.size() >= 3; }));
  a.Stop();
  std::set<uint64_t> on_a = ShareIds(a.Snapshot());
  ASSERT_TRUE(b.WaitFor([](const FakeMaster::Seen& s) { return s.shares.size() >= 3; }));
  // Unanswered by A, they wait for A, never going to B; then they end master_lost.
  ASSERT_TRUE(Eventually([&] { return worker.conn->Stats().shares_master_lost >= on_a.size(); }));
  for (uint64_t id : ShareIds(b.Snapshot())) {
    EXPECT_FALSE(on_a.contains(id)) << "share " << id << " of master A was sent to B";
  }
  worker.sched->Stop();
  ConnectionStats stats = worker.conn->Stats();
  OutboxCounts c = stats.outbox;
  EXPECT_EQ(c.found, c.answered + c.pending + c.master_lost + c.dropped) << "every share counted";
  EXPECT_EQ(stats.shares_master_lost, c.master_lost);
}

TEST(MasterFailoverConnectionTest, ReturnsToTheFirstMasterOnceHealthyForTheHold) {
  auto a = std::make_unique<FakeMaster>(FakeMaster::Script{});
  FakeMaster b({});
  ASSERT_TRUE(a->Start(0).ok());
  ASSERT_TRUE(b.Start(0).ok());
  int port = a->Port();
  TestWorker worker(absl::StrCat(a->Address(), ",", b.Address()), {}, "tok", 100000,
                    Fast(/*return_ms=*/400));
  ASSERT_TRUE(a->WaitFor([](const FakeMaster::Seen& s) { return !s.shares.empty(); }));
  a->Stop();
  ASSERT_TRUE(b.WaitFor([](const FakeMaster::Seen& s) { return !s.shares.empty(); }));
  auto back = std::make_unique<FakeMaster>(FakeMaster::Script{});
  ASSERT_TRUE(back->Start(port).ok());
  absl::Time up = absl::Now();
  ASSERT_TRUE(back->WaitFor([](const FakeMaster::Seen& s) { return !s.shares.empty(); }));
  EXPECT_GE(absl::Now() - up, absl::Milliseconds(400)) << "returned before the hold";
  ConnectionStats stats = worker.conn->Stats();
  EXPECT_EQ(stats.master, a->Address());
  // To B and back; on a loaded host a slow first connect may add a round through the list.
  EXPECT_GE(stats.master_moves, 2u);
  // B answered every share before the worker left it (the return waits for its verdicts).
  std::set<uint64_t> on_b = ShareIds(b.Snapshot());
  for (uint64_t id : ShareIds(back->Snapshot())) EXPECT_FALSE(on_b.contains(id));
  EXPECT_EQ(stats.shares_master_lost, 0u);
}

// A TCP port that accepts connections (the kernel's backlog) and never says a word: a master
// behind a partition that drops replies looks like this to gRPC.
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 && listen(fd_, 16) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~BlackHole() { close(fd_); }
  std::string Address() const { return absl::StrCat("127.0.0.1:", port_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(MasterFailoverConnectionTest, AnAttemptThatHangsIsAbandonedAtTheFailoverDeadline) {
  BlackHole hole;
  ASSERT_NE(hole.port(), 0);
  FakeMaster b({});
  ASSERT_TRUE(b.Start(0).ok());
  absl::Time start = absl::Now();
  TestWorker worker(absl::StrCat(hole.Address(), ",", b.Address()), {}, "tok", 100000, Fast());
  ASSERT_TRUE(b.WaitFor([](const FakeMaster::Seen& s) { return !s.shares.empty(); }));
  // gRPC's own connect timeout is 20 s; the failover deadline (300 ms) cut it short.
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(worker.conn->Stats().master, b.Address());
}

}  // namespace
}  // namespace synth::worker
