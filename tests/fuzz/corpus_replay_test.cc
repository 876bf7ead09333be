// Replays the fuzz corpus through the codec on every build (no clang needed): nothing crashes,
// every valid_* seed parses completely, every bad_* seed produces an error.
#include "gtest/gtest.h"
#include "tests/fuzz/codec_fuzz_target.h"
#include "tests/fuzz/corpus.h"

namespace synth::fuzz {
namespace {

TEST(CorpusReplayTest, EverySeedBehaves) {
  int seeds = ForEachSeed(SYNTH_FUZZ_CORPUS_DIR, [](const std::string& name, const uint8_t* data,
                                                     size_t size) {
    CodecFuzzStats s = FuzzCodecOnce(data, size);
    if (Starts(name, "valid_")) {
      EXPECT_GT(s.messages, 0u) << name;
      EXPECT_EQ(s.messages, s.lines) << name;
      EXPECT_GT(s.typed_ok, 0u) << name;
    }
    if (Starts(name, "bad_")) {
      EXPECT_GT(s.errors, 0u) << name;
    }
  });
  EXPECT_GE(seeds, 20) << SYNTH_FUZZ_CORPUS_DIR;
}

}  // namespace
}  // namespace synth::fuzz
