// Replays the SV2 fuzz corpus on every build (no clang needed): nothing crashes or breaks an
// invariant; valid_* seeds decode completely, session_* seeds also make the session deliver a
// job and answer its shares, bad_* seeds produce an error.
#include "gtest/gtest.h"
#include "tests/fuzz/corpus.h"
#include "tests/fuzz/sv2_fuzz_target.h"

namespace synth::fuzz {
namespace {

TEST(Sv2CorpusReplayTest, EverySeedBehaves) {
  int seeds = ForEachSeed(SYNTH_SV2_CORPUS_DIR, [](const std::string& name, const uint8_t* data,
                                                    size_t size) {
    Sv2FuzzResult r = FuzzSv2Once(data, size);
    SCOPED_TRACE(name);
    EXPECT_EQ(r.violation, "");
    if (Starts(name, "valid_") || Starts(name, "session_")) {
      EXPECT_GT(r.frames, 0u);
      EXPECT_EQ(r.messages, r.frames);
      EXPECT_EQ(r.errors, 0u);
    }
    if (Starts(name, "session_")) {
      EXPECT_GE(r.jobs, 1u);
      EXPECT_GE(r.verdicts, 1u);
      EXPECT_EQ(r.session_error, "");
    }
    if (Starts(name, "bad_")) {
      EXPECT_GT(r.errors + (r.session_error.empty() ? 0 : 1), 0u);
    }
  });
  EXPECT_GE(seeds, 20) << SYNTH_SV2_CORPUS_DIR;
}

}  // namespace
}  // namespace synth::fuzz
