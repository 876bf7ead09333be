// Replays the SV2 fuzz corpus on every build (no clang needed): nothing crashes or breaks an
// invariant; valid_* seeds decode completely, session_* seeds also make the session deliver a
// job and answer its shares, bad_* seeds produce an error.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/fuzz/sv2_fuzz_target.h"

namespace synth::fuzz {
namespace {

TEST(Sv2CorpusReplayTest, EverySeedBehaves) {
  std::filesystem::path dir = SYNTH_SV2_CORPUS_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string data = buf.str();
    Sv2FuzzResult r = FuzzSv2Once(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    EXPECT_EQ(r.violation, "");
    if (name.rfind("valid_", 0) == 0 || name.rfind("session_", 0) == 0) {
      EXPECT_GT(r.frames, 0u);
      EXPECT_EQ(r.messages, r.frames);
      EXPECT_EQ(r.errors, 0u);
    }
    if (name.rfind("session_", 0) == 0) {
      EXPECT_GE(r.jobs, 1u);
      EXPECT_GE(r.verdicts, 1u);
      EXPECT_EQ(r.session_error, "");
    }
    if (name.rfind("bad_", 0) == 0) {
      EXPECT_GT(r.errors + (r.session_error.empty() ? 0 : 1), 0u);
    }
    ++seeds;
  }
  EXPECT_GE(seeds, 20);
}

}  // namespace
}  // namespace synth::fuzz
