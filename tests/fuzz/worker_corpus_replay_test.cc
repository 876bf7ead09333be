// Replays the worker-message fuzz corpus through a real Cluster on every build (no clang
// needed): no seed breaks an invariant, and the seeds named for a behaviour show it
// (accept_*: shares accepted, flood_*: shares rate-limited, badhello_*: Hellos refused).
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/logging.h"
#include "gtest/gtest.h"
#include "tests/fuzz/worker_fuzz_target.h"

namespace synth::fuzz {
namespace {

bool Starts(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

TEST(WorkerCorpusReplayTest, EverySeedKeepsTheInvariants) {
  FLAGS_minloglevel = 2;
  std::filesystem::path dir = SYNTH_WORKER_CORPUS_DIR;
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
  int seeds = 0;
  size_t accepted = 0, limited = 0, kinds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    std::string data = buf.str();
    WorkerFuzzResult r =
        FuzzWorkerOnce(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    std::string name = entry.path().filename().string();
    EXPECT_EQ(r.violation, "") << name;
    EXPECT_GT(r.ops, 0u) << name;
    if (Starts(name, "accept_")) EXPECT_GT(r.accepted, 0u) << name;
    if (Starts(name, "flood_")) EXPECT_GT(r.rate_limited, 0u) << name;
    if (Starts(name, "badhello_")) EXPECT_GT(r.hellos_refused, 0u) << name;
    accepted += r.accepted;
    limited += r.rate_limited;
    kinds = std::max(kinds, r.rejected_kinds);
    ++seeds;
  }
  EXPECT_GE(seeds, 10);
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(limited, 0u);
  EXPECT_GE(kinds, 3u);  // Some seed reaches several non-accepted states.
}

}  // namespace
}  // namespace synth::fuzz
