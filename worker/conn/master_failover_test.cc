// The worker's master failover policy on a fake clock.
#include "worker/conn/master_failover.h"

#include <vector>

#include "gtest/gtest.h"

namespace synth::worker {
namespace {

MasterFailoverOptions Options() {
  return {.failover_after = absl::Seconds(2),
          .return_after = absl::Seconds(30),
          .probe_interval = absl::Seconds(1)};
}

TEST(MasterFailoverTest, AFirstMasterDownAtStartIsLeftAfterTheFailoverTime) {
  FakeClock clock;
  MasterFailoverPolicy p(2, Options(), &clock);
  EXPECT_EQ(p.current(), 0);
  EXPECT_EQ(p.FailoverDeadline(), clock.Now() + absl::Seconds(2));
  for (absl::Duration t : {absl::Milliseconds(250), absl::Milliseconds(650), absl::Seconds(1)}) {
    clock.Advance(t - (clock.Now() - absl::FromUnixSeconds(1000000000)));
    EXPECT_EQ(p.OnStreamEnded(), 0) << "still within the failover time at " << t;
  }
  clock.Advance(absl::Seconds(1));  // 2 s after the start.
  EXPECT_EQ(p.OnStreamEnded(), 1);
  EXPECT_EQ(p.moves(), 1);
  p.OnWelcomed();
  EXPECT_EQ(p.FailoverDeadline(), absl::InfiniteFuture());
}

TEST(MasterFailoverTest, AReconnectWithinTheFailoverTimeStaysOnTheMaster) {
  FakeClock clock;
  MasterFailoverPolicy p(2, Options(), &clock);
  p.OnWelcomed();
  clock.Advance(absl::Minutes(10));
  EXPECT_EQ(p.OnStreamEnded(), 0);  // Lost: its clock starts now, not at the start.
  clock.Advance(absl::Milliseconds(1900));
  EXPECT_EQ(p.OnStreamEnded(), 0);
  p.OnWelcomed();  // Back in time.
  clock.Advance(absl::Seconds(5));
  EXPECT_EQ(p.OnStreamEnded(), 0) << "a new loss, a new clock";
  EXPECT_EQ(p.moves(), 0);
}

TEST(MasterFailoverTest, WithEveryMasterDownItCyclesGivingEachTheFailoverTime) {
  FakeClock clock;
  MasterFailoverPolicy p(3, Options(), &clock);
  std::vector<int> seen;
  for (int i = 0; i < 12; ++i) {
    clock.Advance(absl::Milliseconds(700));
    seen.push_back(p.OnStreamEnded());
  }
  // 700 ms per failed attempt: the third attempt on a master is past its 2 s.
  EXPECT_EQ(seen, (std::vector<int>{0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 0, 1}));
}

TEST(MasterFailoverTest, AnAttemptPendingAtTheDeadlineIsAbandoned) {
  FakeClock clock;
  MasterFailoverPolicy p(2, Options(), &clock);
  p.OnWelcomed();
  clock.Advance(absl::Seconds(3));
  p.OnStreamEnded();
  absl::Time deadline = p.FailoverDeadline();
  EXPECT_EQ(deadline, clock.Now() + absl::Seconds(2));
  // The connection cancels the hung attempt at the deadline; its end moves on.
  clock.Advance(deadline - clock.Now());
  EXPECT_EQ(p.OnStreamEnded(), 1);
}

TEST(MasterFailoverTest, ReturnsToAnEarlierMasterHealthyForTheWholeHold) {
  FakeClock clock;
  MasterFailoverPolicy p(2, Options(), &clock);
  clock.Advance(absl::Seconds(2));
  ASSERT_EQ(p.OnStreamEnded(), 1);
  EXPECT_TRUE(p.ToProbe().empty()) << "no checks before the new master welcomed us";
  p.OnWelcomed();
  int returned_after_s = -1;
  for (int s = 0; s <= 60 && returned_after_s < 0; ++s) {
    for (int m : p.ToProbe()) p.OnHealth(m, /*healthy=*/s >= 5);  // Master 0 back at 5 s.
    p.Probed();
    if (p.ReturnTo() >= 0) returned_after_s = s;
    EXPECT_EQ(p.NextProbe(), returned_after_s < 0 ? clock.Now() + absl::Seconds(1)
                                                  : p.NextProbe());
    clock.Advance(absl::Seconds(1));
  }
  EXPECT_EQ(returned_after_s, 35);
  EXPECT_EQ(p.ReturnTo(), 0);
  p.MoveTo(0);
  EXPECT_EQ(p.current(), 0);
  p.OnWelcomed();
  EXPECT_EQ(p.NextProbe(), absl::InfiniteFuture()) << "the first master: nothing to check";
  EXPECT_EQ(p.ReturnTo(), -1);
}

TEST(MasterFailoverTest, AnUnhealthyCheckRestartsTheHold) {
  FakeClock clock;
  MasterFailoverPolicy p(2, Options(), &clock);
  clock.Advance(absl::Seconds(2));
  ASSERT_EQ(p.OnStreamEnded(), 1);
  p.OnWelcomed();
  p.OnHealth(0, true);
  clock.Advance(absl::Seconds(29));
  p.OnHealth(0, false);  // Flapping.
  p.OnHealth(0, true);
  clock.Advance(absl::Seconds(29));
  EXPECT_EQ(p.ReturnTo(), -1);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(p.ReturnTo(), 0);
}

TEST(MasterFailoverTest, TheEarliestHealthyMasterWinsAndLaterOnesAreNotChecked) {
  FakeClock clock;
  MasterFailoverPolicy p(3, Options(), &clock);
  p.MoveTo(2);
  p.OnWelcomed();
  EXPECT_EQ(p.ToProbe(), (std::vector<int>{0, 1}));
  p.OnHealth(0, true);
  p.OnHealth(1, true);
  p.OnHealth(2, true);  // Not earlier: ignored.
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(p.ReturnTo(), 0);
}

TEST(MasterFailoverTest, OneMasterNeverMovesAndHasNoDeadline) {
  FakeClock clock;
  MasterFailoverPolicy p(1, Options(), &clock);
  EXPECT_EQ(p.FailoverDeadline(), absl::InfiniteFuture());
  clock.Advance(absl::Minutes(5));
  EXPECT_EQ(p.OnStreamEnded(), 0);
  p.OnWelcomed();
  EXPECT_TRUE(p.ToProbe().empty());
  EXPECT_EQ(p.moves(), 0);
}

}  // namespace
}  // namespace synth::worker
