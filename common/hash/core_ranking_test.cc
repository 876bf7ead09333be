// RankCores and ScanTimer with fake cores of known speed on a fake clock: the choice follows
// the measured rates, whatever the order or the vendor, within the start-up time budget.
#include "common/hash/core_ranking.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace synth::hash {
namespace {

// Seconds that fake cores advance as they "hash".
struct FakeClock {
  double now = 0;
};

// A core that hashes `rate` nonces per second of the fake clock (its first `slow_scans` scans at
// 70% of that: a core whose first timing slice falls in a burst of load).
class FakeCore final : public HashCore {
 public:
  FakeCore(std::string name, double rate, FakeClock* clock, int slow_scans = 0)
      : name_(std::move(name)), rate_(rate), clock_(clock), slow_scans_(slow_scans) {}
  std::string_view Name() const override { return name_; }
  bool Supported() const override { return true; }
  void Scan(const ScanWork&, uint32_t start, uint64_t count,
            std::vector<uint32_t>*) const override {
    const double rate = scans_++ < slow_scans_ ? rate_ * 0.7 : rate_;
    clock_->now += static_cast<double>(count) / rate;
    nonces_ += count;
    last_end_ = uint64_t{start} + count;
  }
  uint64_t nonces() const { return nonces_; }
  uint64_t last_end() const { return last_end_; }

 private:
  const std::string name_;
  const double rate_;
  FakeClock* const clock_;
  const int slow_scans_;
  mutable int scans_ = 0;
  mutable uint64_t nonces_ = 0;
  mutable uint64_t last_end_ = 0;
};

// A timer that returns a table of rates by core name, counting the slices it was asked for.
class TableTimer final : public CoreTimer {
 public:
  explicit TableTimer(std::map<std::string, std::vector<double>> rates)
      : rates_(std::move(rates)) {}
  double HashesPerSecond(const HashCore& core, double slice_seconds) override {
    std::vector<double>& r = rates_.at(std::string(core.Name()));
    const double rate = r[slices_[std::string(core.Name())]++ % r.size()];
    total_seconds_ += slice_seconds;
    return rate;
  }
  double total_seconds() const { return total_seconds_; }
  int slices(const std::string& name) const {
    auto it = slices_.find(name);
    return it == slices_.end() ? 0 : it->second;
  }

 private:
  std::map<std::string, std::vector<double>> rates_;
  std::map<std::string, int> slices_;
  double total_seconds_ = 0;
};

std::vector<std::string> Names(const std::vector<CoreTiming>& timings) {
  std::vector<std::string> names;
  for (const CoreTiming& t : timings) names.emplace_back(t.core->Name());
  return names;
}

TEST(CoreRankingTest, FastestFirstWhateverTheListOrder) {
  FakeClock clock;
  // The GPU host's Xeon (docs/BENCHMARKS.md): the hybrid listed first is 80x slower there.
  FakeCore hybrid("avx512-sha", 0.29e6, &clock), avx512("avx512", 24.3e6, &clock),
      sha("sha-ni", 9.9e6, &clock), scalar("scalar", 1.4e6, &clock);
  const HashCore* cores[] = {&hybrid, &avx512, &sha, &scalar};
  TableTimer timer(
      {{"avx512-sha", {0.29e6}}, {"avx512", {24.3e6}}, {"sha-ni", {9.9e6}}, {"scalar", {1.4e6}}});
  std::vector<CoreTiming> ranked = RankCores(cores, timer);
  EXPECT_EQ(Names(ranked), (std::vector<std::string>{"avx512", "sha-ni", "scalar", "avx512-sha"}));
  EXPECT_DOUBLE_EQ(ranked.front().hashes_per_second, 24.3e6);
  // One slice each, then two more for avx512 alone: the others are far behind it.
  EXPECT_EQ(timer.slices("avx512"), 3);
  EXPECT_EQ(timer.slices("sha-ni"), 1);
  EXPECT_EQ(timer.slices("avx512-sha"), 1);
  EXPECT_DOUBLE_EQ(timer.total_seconds(), 6 * kStartupTiming.slice_seconds);
}

TEST(CoreRankingTest, KeepsEachCoresBestSliceAndTheListOrderOnTies) {
  FakeClock clock;
  FakeCore a("a", 1, &clock), b("b", 1, &clock), c("c", 1, &clock);
  const HashCore* cores[] = {&a, &b, &c};
  // "a" is slow in its first slice (a burst of load elsewhere) but within 75% of the leader,
  // so it is timed again and wins; "b" and "c" tie and keep their order.
  TableTimer timer({{"a", {40e6, 50e6, 30e6}}, {"b", {45e6}}, {"c", {45e6}}});
  std::vector<CoreTiming> ranked = RankCores(cores, timer, {3, 0.001, 0.75});
  EXPECT_EQ(Names(ranked), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_DOUBLE_EQ(ranked[0].hashes_per_second, 50e6);
  EXPECT_EQ(timer.slices("a"), 3);
  TableTimer tie({{"a", {1e6}}, {"b", {45e6}}, {"c", {45e6}}});
  EXPECT_EQ(Names(RankCores(cores, tie, {1, 0.001, 0.75})),
            (std::vector<std::string>{"b", "c", "a"}));
}

TEST(CoreRankingTest, TheWholePlanStaysWithinTheStartupBudget) {
  FakeClock clock;
  // Seven cores all within 75% of each other: every one is timed three times.
  std::vector<FakeCore> fakes;
  for (int i = 0; i < 7; ++i) fakes.emplace_back(absl::StrCat("c", i), 40e6 + 1e6 * i, &clock);
  std::vector<const HashCore*> cores;
  for (const FakeCore& f : fakes) cores.push_back(&f);
  ScanTimer timer([&clock] { return clock.now; });
  std::vector<CoreTiming> ranked = RankCores(cores, timer, kStartupTiming);
  EXPECT_EQ(ranked.front().core->Name(), "c6");
  EXPECT_LE(clock.now, 0.150);
}

TEST(CoreRankingTest, ScanTimerMeasuresTheRateAndSpendsAboutOneSlice) {
  for (double rate : {0.1e6, 3e6, 45e6, 400e6}) {
    FakeClock clock;
    FakeCore core("core", rate, &clock);
    ScanTimer timer([&clock] { return clock.now; });
    const double before = clock.now;
    EXPECT_NEAR(timer.HashesPerSecond(core, 0.008), rate, rate * 1e-9) << rate;
    EXPECT_LE(clock.now - before, 0.008 * 1.01) << rate;  // Doubling chunks: <= one slice.
    EXPECT_GE(clock.now - before, 0.008 / 4) << rate;
  }
}

TEST(CoreRankingTest, ScanTimerPicksTheFastestWithinTheStartupBudget) {
  FakeClock clock;
  // A Zen 4 host where the hybrid is fastest, its whole first slice (chunks of 64 to 65536
  // nonces) caught in a burst of load that cuts it to 70%: still a contender (within 75% of
  // avx512), so it is timed again and wins.
  FakeCore hybrid("avx512-sha", 51.6e6, &clock, /*slow_scans=*/11);
  FakeCore avx512("avx512", 45.3e6, &clock), sha("sha-ni", 33.7e6, &clock),
      avx2("avx2", 14.9e6, &clock), scalar("scalar", 3.1e6, &clock);
  const HashCore* cores[] = {&scalar, &avx2, &sha, &avx512, &hybrid};
  ScanTimer timer([&clock] { return clock.now; });
  std::vector<CoreTiming> ranked = RankCores(cores, timer, kStartupTiming);
  EXPECT_EQ(Names(ranked),
            (std::vector<std::string>{"avx512-sha", "avx512", "sha-ni", "avx2", "scalar"}));
  EXPECT_NEAR(ranked.front().hashes_per_second, 51.6e6, 51.6e3);
  EXPECT_LE(clock.now, 0.150);  // Five cores timed in at most 150 ms.
  EXPECT_GT(avx512.nonces(), 0u);
}

TEST(CoreRankingTest, ScanTimerStaysInsideTheNonceSpace) {
  FakeClock clock;
  FakeCore core("core", 1e9, &clock);
  ScanTimer timer([&clock] { return clock.now; });
  for (int i = 0; i < 400; ++i) {
    timer.HashesPerSecond(core, 0.05);
    ASSERT_LE(core.last_end(), uint64_t{1} << 32);
  }
  EXPECT_GT(core.nonces(), uint64_t{1} << 32);  // It wrapped around and went on.
}

TEST(CoreRankingTest, ScanTimerEndsWhenTheClockStands) {
  FakeClock clock;
  FakeCore core("core", 1e9, &clock);
  ScanTimer timer([] { return 0.0; });
  EXPECT_EQ(timer.HashesPerSecond(core, 0.008), 0);
  EXPECT_LE(core.nonces(), uint64_t{1} << 27);
}

}  // namespace
}  // namespace synth::hash
