#include "common/json_scan.h"

#include <string>

#include "gtest/gtest.h"

namespace synth {
namespace {

TEST(JsonScanTest, DepthAndFirstClose) {
  JsonScan s = ScanJson(R"({"a":[1,2]} tail)");
  EXPECT_EQ(s.max_depth, 2);
  EXPECT_EQ(s.first_close, 11u);
  EXPECT_EQ(ScanJson("").first_close, JsonScan::kOpen);
  EXPECT_EQ(ScanJson("plain text").max_depth, 0);
}

TEST(JsonScanTest, BracketsInsideStringsDoNotCount) {
  EXPECT_EQ(ScanJson(R"({"command":"a}b")").first_close, JsonScan::kOpen);
  EXPECT_EQ(ScanJson(R"({"command":"a\"}")").first_close, JsonScan::kOpen);  // Escaped quote.
  EXPECT_EQ(ScanJson(R"({"command":"a\\"})").first_close, 17u);              // Escaped backslash.
  EXPECT_EQ(ScanJson(R"(["[[[{"])").max_depth, 1);
}

TEST(JsonScanTest, DeepAndUnbalancedInput) {
  std::string deep(100000, '[');
  JsonScan s = ScanJson(deep);
  EXPECT_EQ(s.max_depth, 100000);
  EXPECT_EQ(s.first_close, JsonScan::kOpen);
  EXPECT_EQ(ScanJson("]]}{").first_close, JsonScan::kOpen);  // Never back to 0 from 1.
}

}  // namespace
}  // namespace synth
