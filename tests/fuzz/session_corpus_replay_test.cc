// Replays the downstream-session fuzz corpus on every build (no clang needed): no seed breaks an
// invariant, and the seeds named for a behaviour show it (submit_*: submits reach the host,
// refuse_*: the session refuses submits itself, drop_*: the connection is dropped).
#include "gtest/gtest.h"
#include "tests/fuzz/corpus.h"
#include "tests/fuzz/session_fuzz_target.h"

namespace synth::fuzz {
namespace {

TEST(SessionCorpusReplayTest, EverySeedKeepsTheInvariants) {
  int seeds = ForEachSeed(SYNTH_SESSION_CORPUS_DIR, [](const std::string& name,
                                                         const uint8_t* data, size_t size) {
    SessionFuzzResult r = FuzzSessionOnce(data, size);
    EXPECT_EQ(r.violation, "") << name;
    EXPECT_GT(r.ops, 0u) << name;
    if (Starts(name, "submit_")) EXPECT_GT(r.submits, 0u) << name;
    if (Starts(name, "refuse_")) EXPECT_GT(r.refused, 0u) << name;
    if (Starts(name, "drop_")) EXPECT_TRUE(r.dropped) << name;
  });
  EXPECT_GE(seeds, 12) << SYNTH_SESSION_CORPUS_DIR;
}

}  // namespace
}  // namespace synth::fuzz
