// Replays the downstream-session fuzz corpus on every build (no clang needed): no seed breaks an
// invariant, and the seeds named for a behaviour show it (submit_*: submits reach the host,
// refuse_*: the session refuses submits itself, drop_*: the connection is dropped).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/fuzz/session_fuzz_target.h"

namespace synth::fuzz {
namespace {

bool Starts(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

TEST(SessionCorpusReplayTest, EverySeedKeepsTheInvariants) {
  std::filesystem::path dir = SYNTH_SESSION_CORPUS_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string data = buf.str();
    SessionFuzzResult r =
        FuzzSessionOnce(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    std::string name = entry.path().filename().string();
    EXPECT_EQ(r.violation, "") << name;
    EXPECT_GT(r.ops, 0u) << name;
    if (Starts(name, "submit_")) EXPECT_GT(r.submits, 0u) << name;
    if (Starts(name, "refuse_")) EXPECT_GT(r.refused, 0u) << name;
    if (Starts(name, "drop_")) EXPECT_TRUE(r.dropped) << name;
    ++seeds;
  }
  EXPECT_GE(seeds, 12);
}

}  // namespace
}  // namespace synth::fuzz
