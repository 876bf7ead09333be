#include "common/metrics/registry.h"

#include <cmath>
#include <thread>
#include <vector>

#include "common/metrics/exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::metrics {
namespace {

using ::testing::HasSubstr;

Exposition Parse(const Registry& reg) {
  absl::StatusOr<Exposition> e = ParseText(reg.Render());
  EXPECT_TRUE(e.ok()) << e.status() << "\n" << reg.Render();
  return e.ok() ? *e : Exposition{};
}

TEST(Registry, CountersAndGaugesRenderWithHelpTypeAndLabels) {
  Registry reg;
  Family<Counter>& shares = reg.AddCounter("synth_shares_total", "Shares by verdict", {"verdict"});
  shares.WithLabels({"accepted"}).Increment();
  shares.WithLabels({"accepted"}).Increment(2);
  shares.WithLabels({"rejected"}).Increment(-5);  // Ignored: counters only go up.
  Family<Gauge>& up = reg.AddGauge("synth_pool_up", "1 when connected", {});
  up.WithLabels({}).Set(1);
  up.WithLabels({}).Add(-0.5);

  std::string text = reg.Render();
  EXPECT_THAT(text, HasSubstr("# HELP synth_shares_total Shares by verdict\n"
                              "# TYPE synth_shares_total counter\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE synth_pool_up gauge\n"));
  Exposition e = Parse(reg);
  ASSERT_NE(Find(e.samples, "synth_shares_total", {{"verdict", "accepted"}}), nullptr);
  EXPECT_EQ(Find(e.samples, "synth_shares_total", {{"verdict", "accepted"}})->value, 3);
  EXPECT_EQ(Find(e.samples, "synth_shares_total", {{"verdict", "rejected"}})->value, 0);
  EXPECT_EQ(Find(e.samples, "synth_pool_up", {})->value, 0.5);
}

TEST(Registry, LabelValuesAreEscapedAndReadBack) {
  Registry reg;
  std::string nasty = "w\"1\\\n}{,=";
  reg.AddGauge("g", "h", {"worker"}).WithLabels({nasty}).Set(7);
  Exposition e = Parse(reg);
  ASSERT_EQ(e.samples.size(), 1u);
  EXPECT_EQ(e.samples[0].labels.at("worker"), nasty);
  EXPECT_EQ(e.samples[0].value, 7);
}

TEST(Registry, HistogramRendersCumulativeBucketsSumAndCount) {
  Registry reg;
  Family<Histogram>& h = reg.AddHistogram("synth_lease_duration_seconds", "Lease", {"worker"},
                                          {5, 1, 2, 1});  // Sorted and deduplicated.
  Histogram& w = h.WithLabels({"a"});
  for (double v : {0.5, 1.0, 1.5, 3.0, 100.0}) w.Observe(v);
  w.Observe(std::nan(""));  // Ignored.
  Exposition e = Parse(reg);
  EXPECT_EQ(e.types["synth_lease_duration_seconds"], "histogram");
  auto bucket = [&](const char* le) {
    const Sample* s = Find(e.samples, "synth_lease_duration_seconds_bucket", {{"le", le}});
    return s == nullptr ? -1.0 : s->value;
  };
  EXPECT_EQ(bucket("1"), 2);  // le is inclusive.
  EXPECT_EQ(bucket("2"), 3);
  EXPECT_EQ(bucket("5"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);
  EXPECT_EQ(Find(e.samples, "synth_lease_duration_seconds_count", {{"worker", "a"}})->value, 5);
  EXPECT_EQ(Find(e.samples, "synth_lease_duration_seconds_sum", {{"worker", "a"}})->value, 106);
}

TEST(Registry, WrongLabelCountIsDetachedNotRendered) {
  Registry reg;
  Family<Counter>& c = reg.AddCounter("c_total", "h", {"a", "b"});
  c.WithLabels({"only-one"}).Increment(9);
  c.WithLabels({"x", "y"}).Increment();
  Exposition e = Parse(reg);
  ASSERT_EQ(e.samples.size(), 1u);
  EXPECT_EQ(e.samples[0].value, 1);
}

TEST(Registry, SameRegistrationReturnsSameFamilyAndClearDropsChildren) {
  Registry reg;
  Family<Gauge>& a = reg.AddGauge("g", "h", {"x"});
  Family<Gauge>& b = reg.AddGauge("g", "h", {"x"});
  EXPECT_EQ(&a, &b);
  a.WithLabels({"1"}).Set(1);
  a.Clear();
  EXPECT_TRUE(Parse(reg).samples.empty());
  EXPECT_THAT(reg.Render(), HasSubstr("# TYPE g gauge"));
}

TEST(RegistryDeathTest, InvalidNamesAndConflictsAbort) {
  EXPECT_DEATH(
      {
        Registry r;
        r.AddCounter("bad-name", "h", {});
      },
      "invalid metric name");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddHistogram("h", "h", {"le"}, {1});
      },
      "invalid label name");
  EXPECT_DEATH(
      {
        Registry r;
        r.AddGauge("g", "h", {});
        r.AddCounter("g", "h", {});
      },
      "registered twice");
}

TEST(Registry, ConcurrentUpdatesAreNotLost) {
  Registry reg;
  Family<Counter>& c = reg.AddCounter("c_total", "h", {"t"});
  Family<Histogram>& h = reg.AddHistogram("h_seconds", "h", {}, ExponentialBuckets(0.001, 2, 8));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c.WithLabels({std::to_string(t % 2)}).Increment();
        h.WithLabels({}).Observe(0.01);
        if (i % 1000 == 0) reg.Render();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  Exposition e = Parse(reg);
  EXPECT_EQ(Find(e.samples, "c_total", {{"t", "0"}})->value, 20000);
  EXPECT_EQ(Find(e.samples, "c_total", {{"t", "1"}})->value, 20000);
  EXPECT_EQ(Find(e.samples, "h_seconds_count", {})->value, 40000);
}

}  // namespace
}  // namespace synth::metrics
