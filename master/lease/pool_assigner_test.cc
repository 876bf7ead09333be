#include "master/lease/pool_assigner.h"

#include <cmath>
#include <queue>
#include <random>
#include <vector>

#include "common/clock.h"
#include "gtest/gtest.h"

namespace synth::lease {
namespace {

constexpr uint64_t kMinPart = uint64_t{1} << 20;

uint64_t Sum(const std::vector<AssignPart>& parts) {
  uint64_t sum = 0;
  for (const AssignPart& p : parts) sum += p.hashes;
  return sum;
}

// Assigns every part of a plan as planned; returns the plan.
std::vector<AssignPart> Lease(PoolAssigner& a, uint64_t hashes) {
  std::vector<AssignPart> parts = a.Plan(hashes);
  for (const AssignPart& p : parts) a.Assign(p.pool, p.hashes);
  return parts;
}

// Workers of very different rates (a 2-core box to a GPU) ask for 5 s leases at their rate
// (+-20%) whenever their last lease runs out, on a fake clock, `leases` times in all. Returns
// the hashes leased per pool.
std::vector<uint64_t> RunLeases(PoolAssigner& a, int leases, uint64_t seed) {
  const std::vector<double> rates = {5e6, 40e6, 95e6, 1.2e9, 8.6e9};
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  FakeClock clock;
  using Due = std::pair<absl::Time, size_t>;  // (lease runs out, worker)
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due;
  for (size_t w = 0; w < rates.size(); ++w) due.push({clock.Now(), w});
  std::vector<uint64_t> before(a.pool_count());
  for (size_t i = 0; i < before.size(); ++i) before[i] = a.Totals()[i].leased;
  for (int n = 0; n < leases; ++n) {
    auto [when, w] = due.top();
    due.pop();
    if (when > clock.Now()) clock.Advance(when - clock.Now());
    double seconds = 5 * jitter(rng);
    uint64_t hashes = static_cast<uint64_t>(rates[w] * seconds);
    EXPECT_EQ(Sum(Lease(a, hashes)), hashes);
    due.push({clock.Now() + absl::Seconds(seconds), w});
  }
  std::vector<uint64_t> got(a.pool_count());
  for (size_t i = 0; i < got.size(); ++i) got[i] = a.Totals()[i].leased - before[i];
  return got;
}

// Expects each pool's hashes within `relative` of its share of the total.
void ExpectShares(const std::vector<uint64_t>& got, const std::vector<double>& shares,
                  double relative) {
  double total = 0;
  for (uint64_t g : got) total += static_cast<double>(g);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(static_cast<double>(got[i]), shares[i] * total, relative * shares[i] * total + 1)
        << "pool " << i << " of " << got.size();
  }
}

TEST(PoolAssignerTest, PlanCutsALeaseByShare) {
  PoolAssigner a(2, {});
  a.SetTargets({0.7, 0.3});
  std::vector<AssignPart> parts = a.Plan(1'000'000'000);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].pool, 0u);
  EXPECT_EQ(parts[0].hashes, 700'000'000u);
  EXPECT_EQ(parts[1].pool, 1u);
  EXPECT_EQ(parts[1].hashes, 300'000'000u);
  // A lease under min_part_hashes goes whole to the pool owed most.
  parts = a.Plan(kMinPart - 1);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].pool, 0u);
  EXPECT_TRUE(a.Plan(0).empty());
  a.SetTargets({0, 0});
  EXPECT_TRUE(a.Plan(1'000'000'000).empty());
}

TEST(PoolAssignerTest, TenThousandLeasesOfMixedWorkersFollowTheWeights) {
  PoolAssigner a(2, {});
  a.SetTargets({0.7, 0.3});
  std::vector<uint64_t> got = RunLeases(a, 10'000, 1);
  ExpectShares(got, {0.7, 0.3}, 0.005);
  // In fact within a couple of minimum parts, however large the GPU's leases are.
  EXPECT_NEAR(static_cast<double>(got[0]) / 0.7, static_cast<double>(got[0] + got[1]), 4 * kMinPart);
  PoolAssigner b(3, {});
  b.SetTargets({0.5, 0.3, 0.2});
  ExpectShares(RunLeases(b, 10'000, 2), {0.5, 0.3, 0.2}, 0.005);
}

TEST(PoolAssignerTest, WholeLeasesAloneStillTrackTheWeights) {
  // With parts as large as any lease, every lease goes whole to the pool owed most: the error
  // is at most about one lease, small against 10,000 of them.
  PoolAssigner a(3, {.min_part_hashes = uint64_t{1} << 62});
  a.SetTargets({0.6, 0.25, 0.15});
  ExpectShares(RunLeases(a, 10'000, 3), {0.6, 0.25, 0.15}, 0.005);
}

TEST(PoolAssignerTest, TinySharesGetTheirPartOnceOwedEnough) {
  PoolAssigner a(2, {});
  a.SetTargets({0.999, 0.001});
  // Each lease's ideal part for pool 1 is 4,000 hashes, under min_part: it is owed until its
  // part is worth cutting.
  for (int i = 0; i < 10'000; ++i) Lease(a, 4'000'000);
  ExpectShares({a.Totals()[0].leased, a.Totals()[1].leased}, {0.999, 0.001}, 0.05);
  EXPECT_GT(a.Totals()[1].leased, 0u);
}

TEST(PoolAssignerTest, ReturnedWorkIsOwedAgain) {
  PoolAssigner a(2, {});
  a.SetTargets({0.5, 0.5});
  Lease(a, 200'000'000);  // 100M each.
  a.Unassign(0, 60'000'000);  // A worker died holding 60M of pool 0's units.
  EXPECT_EQ(a.Totals()[0].leased, 40'000'000u);
  std::vector<AssignPart> parts = a.Plan(100'000'000);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].hashes, 80'000'000u);  // Brings both to 120M.
  EXPECT_EQ(parts[1].hashes, 20'000'000u);
}

TEST(PoolAssignerTest, PoolLeavingAndReturningStartsFromEven) {
  PoolAssigner a(2, {});
  a.SetTargets({0.7, 0.3});
  Lease(a, 50'000'000);
  a.SetTargets({0, 1});  // Pool 0 down: all work to pool 1.
  EXPECT_EQ(a.Plan(10'000'000)[0].pool, 1u);
  Lease(a, 500'000'000);
  EXPECT_EQ(a.Totals()[0].deficit, 0);
  a.SetTargets({0.7, 0.3});  // Back: no burst for the time it was down.
  std::vector<AssignPart> parts = a.Plan(100'000'000);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].hashes, 70'000'000u);
  EXPECT_EQ(parts[1].hashes, 30'000'000u);
}

TEST(PoolAssignerTest, CarryLimitBoundsTheCatchUp) {
  PoolAssigner a(2, {});
  a.SetTargets({0.5, 0.5});
  a.SetCarryLimit(1e9);
  // Pool 0 could not be cut from (no midstates) for a long while: everything went to pool 1.
  for (int i = 0; i < 100; ++i) a.Assign(1, 1'000'000'000);
  EXPECT_LE(a.Totals()[0].deficit, 1e9);
  EXPECT_GE(a.Totals()[1].deficit, -1e9);
  std::vector<AssignPart> parts = a.Plan(10'000'000'000);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].hashes, 6'000'000'000u);  // Even cut plus at most the carry limit.
}

TEST(PoolAssignerTest, ConnectionsAreRoutedWholeByRoomInTheShare) {
  PoolAssigner a(2, {});
  a.SetTargets({0.7, 0.3});
  EXPECT_EQ(a.Route(0, 0), 0u);  // Nothing known: the larger share.
  a.AddConnection(1, *a.Route(100e6, 0), 100e6);  // Room 70M vs 30M: pool 0.
  EXPECT_EQ(a.PoolOf(1), 0u);
  a.AddConnection(2, *a.Route(100e6, 0), 100e6);  // Of 200M: 140-100 vs 60: pool 1.
  EXPECT_EQ(a.PoolOf(2), 1u);
  a.AddConnection(3, *a.Route(100e6, 0), 100e6);  // Of 300M: 210-100 vs 90-100: pool 0.
  EXPECT_EQ(a.PoolOf(3), 0u);
  EXPECT_EQ(a.Totals()[0].connections, 2u);
  EXPECT_DOUBLE_EQ(a.Totals()[0].downstream_rate, 200e6);
  a.RemoveConnection(3);
  a.SetConnectionRate(1, 50e6);
  EXPECT_DOUBLE_EQ(a.Totals()[0].downstream_rate, 50e6);
  EXPECT_FALSE(a.PoolOf(3).has_value());
  a.SetTargets({0, 0});
  EXPECT_FALSE(a.Route(1e6, 1e6).has_value());
}

TEST(PoolAssignerTest, ConnectionsOfUnknownRateAreSpreadByCountThenAsTheMeanKnownRate) {
  PoolAssigner a(2, {});
  a.SetTargets({0.7, 0.3});
  // Nothing measured yet (miners that just subscribed): each pool gets its share of the
  // connections, whatever the leased workers' rate.
  std::vector<size_t> got(2, 0);
  for (uint64_t id = 1; id <= 10; ++id) {
    size_t pool = *a.Route(0, 5e9);
    a.AddConnection(id, pool, 0);
    ++got[pool];
  }
  EXPECT_EQ(got, (std::vector<size_t>{7, 3}));
  // Once rates are measured, an unknown newcomer counts as their mean (37 MH/s): pool 0
  // carries 7 x 10 MH/s, pool 1 3 x 100 MH/s.
  for (uint64_t id = 1; id <= 10; ++id) a.SetConnectionRate(id, *a.PoolOf(id) == 0 ? 10e6 : 100e6);
  EXPECT_EQ(a.Route(0, 0), 0u);  // Room 0.7 x 407M - 70M vs 0.3 x 407M - 300M.
  EXPECT_EQ(a.Route(0, 0, {false, true}), 1u);  // The only eligible pool, over its share or not.
  // Leased workers make the cluster larger: both pools have room, pool 0 the most.
  EXPECT_EQ(a.Route(0, 1e9), 0u);
}

TEST(PoolAssignerTest, RouteSkipsIneligiblePoolsAndTiesGoToFewerConnections) {
  PoolAssigner a(3, {});
  a.SetTargets({0.5, 0.5, 0});
  a.AddConnection(1, 0, 0);
  EXPECT_EQ(a.Route(0, 0), 1u);  // Equal room in count: the pool with fewer connections.
  EXPECT_EQ(a.Route(0, 0, {false, true, true}), 1u);
  EXPECT_EQ(a.Route(0, 0, {true, false, true}), 0u);
  EXPECT_FALSE(a.Route(0, 0, {false, false, true}).has_value());  // Pool 2 has no share.
  EXPECT_FALSE(a.Route(0, 0, {false}).has_value());  // Pools past the vector: not eligible.
  a.AddConnection(1, 1, 5e6);  // Added again: moved, counted once.
  EXPECT_EQ(a.Totals()[0].connections, 0u);
  EXPECT_EQ(a.Totals()[1].connections, 1u);
  EXPECT_DOUBLE_EQ(a.Totals()[1].downstream_rate, 5e6);
}

TEST(PoolAssignerTest, LeasedWorkMakesUpTheSplitAroundConnections) {
  PoolAssigner a(2, {});
  a.SetTargets({0.7, 0.3});
  a.AddConnection(1, 0, 200e6);
  a.AddConnection(2, 1, 100e6);
  // Leased workers at 700 MH/s: each second, the connections' work is credited and a second
  // of leased work is planned around it.
  for (int s = 0; s < 1000; ++s) {
    a.CreditConnections(1.0);
    Lease(a, 700'000'000);
  }
  std::vector<PoolAssignment> t = a.Totals();
  ExpectShares({t[0].leased + t[0].downstream, t[1].leased + t[1].downstream}, {0.7, 0.3}, 0.005);
  EXPECT_NEAR(static_cast<double>(t[0].leased), 500e9, 1e9);  // 700 - 200 per second.
  EXPECT_EQ(t[1].downstream, 100'000'000'000u);
}

}  // namespace
}  // namespace synth::lease
