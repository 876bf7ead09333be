#include "common/metrics/exposition.h"

#include <cmath>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::metrics {
namespace {

using ::testing::HasSubstr;

TEST(Exposition, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(EscapeHelp("x\\y\nz \"q\""), "x\\\\y\\nz \"q\"");
}

TEST(Exposition, FormatsValuesShortestAndSpecial) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(123456789012345.0), "123456789012345");
  EXPECT_EQ(FormatValue(HUGE_VAL), "+Inf");
  EXPECT_EQ(FormatValue(-HUGE_VAL), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(Exposition, ValidatesNames) {
  EXPECT_TRUE(IsValidMetricName("synth_pool_up"));
  EXPECT_TRUE(IsValidMetricName("a:b_c9"));
  EXPECT_FALSE(IsValidMetricName("9abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("worker"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("__name__"));
}

TEST(Exposition, ParsesSamplesTypesAndHelp) {
  absl::StatusOr<Exposition> e = ParseText(
      "# HELP x_total Things\\ncounted.\n# TYPE x_total counter\n"
      "x_total{a=\"1\",b=\"q\\\"\\\\\\n\"} 42\n"
      "# a free comment\n\n"
      "y 1.5e3 1700000000000\n"
      "z{} +Inf\n");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->samples.size(), 3u);
  EXPECT_EQ(e->types["x_total"], "counter");
  EXPECT_EQ(e->help["x_total"], "Things\ncounted.");
  EXPECT_EQ(e->samples[0].labels.at("b"), "q\"\\\n");
  EXPECT_EQ(e->samples[0].value, 42);
  EXPECT_EQ(e->samples[1].value, 1500);
  EXPECT_TRUE(std::isinf(e->samples[2].value));
  ASSERT_NE(Find(e->samples, "x_total", {{"a", "1"}}), nullptr);
  EXPECT_EQ(Find(e->samples, "x_total", {{"a", "2"}}), nullptr);
}

TEST(Exposition, RejectsMalformedLinesNamingThem) {
  for (const char* bad : {"x{a=1} 2", "x{a=\"1\" 2", "x 1 2 3", "x abc", "{a=\"b\"} 1", "x{a=\"1\"",
                          "x{a=\"1\\", "x{9=\"1\"} 1", "x"}) {
    absl::StatusOr<Exposition> e = ParseText(std::string("ok 1\n") + bad + "\n");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(e.status().message()), HasSubstr("line 2")) << bad;
  }
}

TEST(Exposition, RandomInputNeverCrashes) {
  std::mt19937 rng(42);
  const std::string alphabet = "ab_:{}=\",\\ \n#+-.0123456789eInfNaTYPEHELP";
  for (int i = 0; i < 5000; ++i) {
    std::string text;
    int n = static_cast<int>(rng() % 64);
    for (int k = 0; k < n; ++k) text += alphabet[rng() % alphabet.size()];
    absl::StatusOr<Exposition> e = ParseText(text);
    if (!e.ok()) {
      EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument) << text;
    }
  }
}

}  // namespace
}  // namespace synth::metrics
