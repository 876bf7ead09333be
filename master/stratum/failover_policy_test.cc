// The failover policy on a fake clock: every timing rule of failover_policy.h, with no socket
// and no real time.
#include "master/stratum/failover_policy.h"

#include <optional>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace synth::stratum {
namespace {

FailoverOptions Exact() {
  FailoverOptions o;
  o.backoff_initial = absl::Seconds(1);
  o.backoff_max = absl::Seconds(60);
  o.backoff_multiplier = 2;
  o.backoff_jitter = 0;  // Exact delays; jitter has its own test.
  o.failover_after = 2;
  o.primary_retry = absl::Seconds(30);
  o.stable_after = absl::Minutes(5);
  o.max_return_hold = absl::Minutes(2);
  return o;
}

// A policy on a fake clock, with helpers that play the client's part.
struct Harness {
  explicit Harness(FailoverOptions o = Exact(), int pools = 2) : policy(o, pools, &clock, 7) {}

  // Advances the clock to the next wake-up and returns what falls due then.
  std::optional<FailoverAction> Wake() {
    absl::Time at = policy.NextWake();
    if (at == absl::InfiniteFuture()) return std::nullopt;
    if (at > clock.Now()) clock.Advance(at - clock.Now());
    return policy.TakeDue();
  }
  // Wakes, expects a connection attempt to `pool` after `delay`, and returns it.
  void ExpectConnect(int pool, absl::Duration delay) {
    absl::Time before = clock.Now();
    std::optional<FailoverAction> a = Wake();
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->pool, pool);
    EXPECT_FALSE(a->probe);
    EXPECT_EQ(clock.Now() - before, delay);
  }
  void ExpectProbe(int pool, absl::Duration delay) {
    absl::Time before = clock.Now();
    std::optional<FailoverAction> a = Wake();
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->pool, pool);
    EXPECT_TRUE(a->probe);
    EXPECT_EQ(clock.Now() - before, delay);
  }

  // Starts with pool 0 down: two failed attempts, then ready on pool 1.
  void StartWithThePrimaryDown() {
    policy.Start();
    ExpectConnect(0, absl::ZeroDuration());
    policy.OnLost(LossReason::kConnectFailed);
    ExpectConnect(0, absl::Seconds(1));
    policy.OnLost(LossReason::kConnectFailed);
    ExpectConnect(1, absl::Seconds(1));
    policy.OnReady();
  }

  FakeClock clock;
  FailoverPolicy policy;
};

TEST(FailoverPolicyTest, StartConnectsToThePreferredPoolAtOnce) {
  Harness h;
  EXPECT_EQ(h.policy.NextWake(), absl::InfiniteFuture()) << "nothing before Start";
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  EXPECT_FALSE(h.policy.TakeDue().has_value()) << "one attempt at a time";
  EXPECT_EQ(h.policy.NextWake(), absl::InfiniteFuture()) << "waiting for the attempt's outcome";
  h.policy.OnReady();
  EXPECT_TRUE(h.policy.ready());
  EXPECT_EQ(h.policy.NextWake(), absl::InfiniteFuture()) << "on the preferred pool: no probe";
}

TEST(FailoverPolicyTest, PrimaryDownAtStartFailsOverAfterTwoFailures) {
  Harness h;
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  LossOutcome o = h.policy.OnLost(LossReason::kConnectFailed);
  EXPECT_FALSE(o.failed_over);
  EXPECT_EQ(o.delay, absl::Seconds(1));
  h.ExpectConnect(0, absl::Seconds(1));
  o = h.policy.OnLost(LossReason::kConnectFailed);
  EXPECT_TRUE(o.failed_over);
  EXPECT_EQ(o.from, 0);
  EXPECT_EQ(o.pool, 1);
  // The backup's first try in this outage is quick, whatever the failures before it.
  h.ExpectConnect(1, absl::Seconds(1));
  h.policy.OnReady();
  EXPECT_EQ(h.policy.current(), 1);
  EXPECT_EQ(h.policy.attempts(), 0);
  EXPECT_EQ(h.policy.failures(0), 0) << "counted again from zero after the failover";
}

TEST(FailoverPolicyTest, ReturnsToThePrimaryAfterTheHoldAndAHealthyProbe) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(h.StartWithThePrimaryDown());
  // No probe before the hold; the first probe exactly at it.
  h.clock.Advance(absl::Seconds(29));
  EXPECT_FALSE(h.policy.TakeDue().has_value());
  h.ExpectProbe(0, absl::Seconds(1));
  EXPECT_EQ(h.policy.probing(), 0);
  // The primary is still down: the next probe waits another hold.
  h.policy.OnProbeFailed();
  EXPECT_EQ(h.policy.probing(), -1);
  h.ExpectProbe(0, absl::Seconds(30));
  h.policy.OnProbeReady();
  EXPECT_EQ(h.policy.current(), 0);
  EXPECT_TRUE(h.policy.ready());
  EXPECT_EQ(h.policy.NextWake(), absl::InfiniteFuture()) << "home: nothing more to do";
}

TEST(FailoverPolicyTest, AFlappingPrimaryDoublesTheHoldUpToTheCapAndStabilityResetsIt) {
  Harness h;
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  h.policy.OnReady();
  std::vector<absl::Duration> holds;
  for (int flap = 0; flap < 4; ++flap) {
    h.policy.OnLost(LossReason::kDropped);        // Ready session lost: retry quickly...
    h.ExpectConnect(0, absl::Seconds(1));
    h.policy.OnLost(LossReason::kConnectFailed);  // ...down: the backup.
    h.ExpectConnect(1, absl::Seconds(1));
    h.policy.OnReady();
    absl::Time before = h.clock.Now();
    std::optional<FailoverAction> probe = h.Wake();
    ASSERT_TRUE(probe.has_value() && probe->probe);
    holds.push_back(h.clock.Now() - before);
    h.policy.OnProbeReady();
    h.clock.Advance(absl::Seconds(10));  // Back on the primary only briefly.
  }
  EXPECT_EQ(holds, (std::vector<absl::Duration>{absl::Seconds(30), absl::Seconds(60),
                                                absl::Seconds(120), absl::Seconds(120)}));
  // Up longer than stable_after: the next loss starts from the plain hold again.
  h.clock.Advance(absl::Minutes(6));
  h.policy.OnLost(LossReason::kDropped);
  h.ExpectConnect(0, absl::Seconds(1));
  h.policy.OnLost(LossReason::kConnectFailed);
  h.ExpectConnect(1, absl::Seconds(1));
  h.policy.OnReady();
  h.ExpectProbe(0, absl::Seconds(30));
}

TEST(FailoverPolicyTest, WithEveryPoolDownTheBackoffGrowsAcrossPoolsToItsCap) {
  Harness h;
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  std::vector<int> pools;
  std::vector<absl::Duration> delays;
  for (int i = 0; i < 12; ++i) {
    LossOutcome o = h.policy.OnLost(LossReason::kConnectFailed);
    pools.push_back(o.pool);
    delays.push_back(o.delay);
    h.ExpectConnect(o.pool, o.delay);
  }
  // Two tries per pool, alternating; the backup's first visit is quick, then 2^(n-1) s to 60 s.
  EXPECT_EQ(pools, (std::vector<int>{0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0}));
  EXPECT_EQ(delays, (std::vector<absl::Duration>{
                        absl::Seconds(1), absl::Seconds(1), absl::Seconds(4), absl::Seconds(8),
                        absl::Seconds(16), absl::Seconds(32), absl::Seconds(60), absl::Seconds(60),
                        absl::Seconds(60), absl::Seconds(60), absl::Seconds(60),
                        absl::Seconds(60)}));
  // Any pool coming back resets the count: its next loss retries after the initial delay.
  h.policy.OnReady();
  EXPECT_EQ(h.policy.OnLost(LossReason::kDropped).delay, absl::Seconds(1));
}

TEST(FailoverPolicyTest, BackoffGrowsWithJitterWithinBoundsAndCaps) {
  FailoverOptions o = Exact();
  o.backoff_multiplier = 1.6;
  o.backoff_jitter = 0.2;
  o.backoff_max = absl::Seconds(10);
  Harness h(o, /*pools=*/1);
  h.policy.Start();
  ASSERT_TRUE(h.Wake().has_value());
  double base = 1;
  std::set<absl::Duration> capped;
  for (int i = 0; i < 20; ++i) {
    absl::Duration d = h.policy.OnLost(LossReason::kConnectFailed).delay;
    double expect = std::min(base, 10.0);
    EXPECT_GE(absl::ToDoubleSeconds(d), expect * 0.8 - 1e-9) << i;
    EXPECT_LE(absl::ToDoubleSeconds(d), expect * 1.2 + 1e-9) << i;
    if (base >= 10) capped.insert(d);
    base *= 1.6;
    ASSERT_TRUE(h.Wake().has_value());
  }
  EXPECT_GT(capped.size(), 5u) << "jitter spreads the capped delays";
  EXPECT_EQ(h.policy.current(), 0) << "one pool: never fails over";
}

TEST(FailoverPolicyTest, AStalledSessionReconnectsAndASecondStallFailsOver) {
  Harness h;
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  h.policy.OnReady();
  LossOutcome o = h.policy.OnLost(LossReason::kStalled);
  EXPECT_FALSE(o.failed_over);
  h.ExpectConnect(0, absl::Seconds(1));
  h.policy.OnReady();  // Reconnected: a fresh start.
  o = h.policy.OnLost(LossReason::kSubmitTimedOut);
  EXPECT_FALSE(o.failed_over) << "failures of a pool count from its last ready session";
  h.ExpectConnect(0, absl::Seconds(1));
  o = h.policy.OnLost(LossReason::kHandshakeFailed);
  EXPECT_TRUE(o.failed_over);
  h.ExpectConnect(1, absl::Seconds(1));
}

TEST(FailoverPolicyTest, ARefusedLoginFailsOverAtOnce) {
  Harness h;
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  LossOutcome o = h.policy.OnLost(LossReason::kRefused);
  EXPECT_TRUE(o.failed_over);
  EXPECT_EQ(o.pool, 1);
}

TEST(FailoverPolicyTest, OperatorSwitchThenFailureReturnsToTheSwitchedToPool) {
  Harness h(Exact(), /*pools=*/3);
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  h.policy.OnReady();
  EXPECT_TRUE(h.policy.SwitchTo(1));
  EXPECT_EQ(h.policy.preferred(), 1);
  h.ExpectConnect(1, absl::ZeroDuration());
  h.policy.OnReady();
  EXPECT_EQ(h.policy.NextWake(), absl::InfiniteFuture());
  h.policy.OnLost(LossReason::kDropped);
  h.ExpectConnect(1, absl::Seconds(1));
  LossOutcome o = h.policy.OnLost(LossReason::kConnectFailed);
  EXPECT_EQ(o.pool, 2) << "the next pool in the list after the switched-to one";
  h.ExpectConnect(2, absl::Seconds(1));
  h.policy.OnReady();
  h.ExpectProbe(1, absl::Seconds(30));  // Back to the operator's choice, not to pool 0.
  h.policy.OnProbeReady();
  EXPECT_EQ(h.policy.current(), 1);
}

TEST(FailoverPolicyTest, SwitchToTheCurrentPoolOnlyChangesThePreferenceUnlessForced) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(h.StartWithThePrimaryDown());
  ASSERT_NE(h.policy.NextWake(), absl::InfiniteFuture()) << "a probe of pool 0 is scheduled";
  EXPECT_FALSE(h.policy.SwitchTo(1));
  EXPECT_EQ(h.policy.preferred(), 1);
  EXPECT_EQ(h.policy.NextWake(), absl::InfiniteFuture()) << "now home: no probe";
  EXPECT_TRUE(h.policy.SwitchTo(1, /*force=*/true));
  h.ExpectConnect(1, absl::ZeroDuration());
}

TEST(FailoverPolicyTest, AnOperatorSwitchDuringABackoffConnectsNow) {
  Harness h;
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  h.policy.OnLost(LossReason::kConnectFailed);  // Waiting 1 s for pool 0.
  EXPECT_TRUE(h.policy.SwitchTo(1));
  h.ExpectConnect(1, absl::ZeroDuration());
}

TEST(FailoverPolicyTest, ARedirectWaitsItsDelayAndCountsNoFailure) {
  Harness h;
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  h.policy.OnReady();
  h.policy.OnRedirect(absl::Seconds(5));
  h.ExpectConnect(0, absl::Seconds(5));
  EXPECT_EQ(h.policy.failures(0), 0);
  EXPECT_EQ(h.policy.attempts(), 0);
}

TEST(FailoverPolicyTest, AProbeThatBecomesReadyWhileTheBackupReconnectsTakesOver) {
  Harness h;
  ASSERT_NO_FATAL_FAILURE(h.StartWithThePrimaryDown());
  h.ExpectProbe(0, absl::Seconds(30));
  h.policy.OnLost(LossReason::kDropped);  // The backup drops while the probe runs.
  EXPECT_EQ(h.policy.probing(), 0) << "a running probe survives the loss";
  h.policy.OnProbeReady();
  EXPECT_EQ(h.policy.current(), 0);
  EXPECT_TRUE(h.policy.ready());
  EXPECT_EQ(h.policy.NextWake(), absl::InfiniteFuture()) << "the backup's reconnect is off";
}

TEST(FailoverPolicyTest, AnAddedPoolCanBeSwitchedTo) {
  Harness h(Exact(), /*pools=*/1);
  h.policy.Start();
  h.ExpectConnect(0, absl::ZeroDuration());
  h.policy.OnReady();
  EXPECT_EQ(h.policy.AddPool(), 1);
  EXPECT_TRUE(h.policy.SwitchTo(1));
  h.ExpectConnect(1, absl::ZeroDuration());
  h.policy.OnLost(LossReason::kConnectFailed);
  ASSERT_TRUE(h.Wake().has_value());
  LossOutcome o = h.policy.OnLost(LossReason::kConnectFailed);
  EXPECT_TRUE(o.failed_over);
  EXPECT_EQ(o.pool, 0);
}

}  // namespace
}  // namespace synth::stratum
