// Replays the fuzz corpus through the codec on every build (no clang needed): nothing crashes,
// every valid_* seed parses completely, every bad_* seed produces an error.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/fuzz/codec_fuzz_target.h"

namespace synth::fuzz {
namespace {

TEST(CorpusReplayTest, EverySeedBehaves) {
  std::filesystem::path dir = SYNTH_FUZZ_CORPUS_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string data = buf.str();
    CodecFuzzStats s = FuzzCodecOnce(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    std::string name = entry.path().filename().string();
    if (name.rfind("valid_", 0) == 0) {
      EXPECT_GT(s.messages, 0u) << name;
      EXPECT_EQ(s.messages, s.lines) << name;
      EXPECT_GT(s.typed_ok, 0u) << name;
    }
    if (name.rfind("bad_", 0) == 0) {
      EXPECT_GT(s.errors, 0u) << name;
    }
    ++seeds;
  }
  EXPECT_GE(seeds, 20);
}

}  // namespace
}  // namespace synth::fuzz
