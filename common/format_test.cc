#include "common/format.h"

#include "gtest/gtest.h"

namespace synth {
namespace {

TEST(FormatTest, HashRateUsesSiPrefixes) {
  EXPECT_EQ(FormatHashRate(0), "0.00 H/s");
  EXPECT_EQ(FormatHashRate(999), "999.00 H/s");
  EXPECT_EQ(FormatHashRate(101.4e6), "101.40 MH/s");
  EXPECT_EQ(FormatHashRate(2.5e12), "2.50 TH/s");
  EXPECT_EQ(FormatHashRate(3e18), "3000.00 PH/s");
}

}  // namespace
}  // namespace synth
