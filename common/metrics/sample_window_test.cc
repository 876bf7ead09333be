#include "common/metrics/sample_window.h"

#include "gtest/gtest.h"

namespace synth::metrics {
namespace {

TEST(SampleWindowTest, PercentilesOverTheLastSamples) {
  SampleWindow w(100);
  EXPECT_EQ(w.Percentile(0.5), std::make_pair(0.0, size_t{0}));
  for (int i = 1; i <= 150; ++i) w.Add(i);  // Keeps 51..150.
  EXPECT_EQ(w.Percentile(0.5), std::make_pair(101.0, size_t{100}));
  EXPECT_EQ(w.Percentile(0.99).first, 150);
  EXPECT_EQ(w.Percentile(0).first, 51);
  EXPECT_EQ(w.Percentile(7).first, 150);  // Clamped to 0..1.
}

}  // namespace
}  // namespace synth::metrics
