#include "common/flags.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace synth {
namespace {

TEST(FlagsTest, RewritesOnlyFlagNames) {
  std::vector<std::string> in = {"prog-name", "--hash-core=avx-512", "--job-interval", "3-4",
                                 "replay",    "file-name.json",      "-x-y",           "--a_b",
                                 "--"};
  std::vector<char*> argv;
  for (std::string& s : in) argv.push_back(s.data());
  DashesToUnderscores(static_cast<int>(argv.size()), argv.data());
  EXPECT_EQ(in[0], "prog-name");
  EXPECT_EQ(in[1], "--hash_core=avx-512");  // the value keeps its dash
  EXPECT_EQ(in[2], "--job_interval");
  EXPECT_EQ(in[3], "3-4");
  EXPECT_EQ(in[5], "file-name.json");
  EXPECT_EQ(in[6], "-x-y");  // single-dash arguments are not flags we rewrite
  EXPECT_EQ(in[7], "--a_b");
  EXPECT_EQ(in[8], "--");
}

}  // namespace
}  // namespace synth
