// Replays the worker-message fuzz corpus through a real Cluster on every build (no clang
// needed): no seed breaks an invariant, and the seeds named for a behaviour show it
// (accept_*: shares accepted, flood_*: shares rate-limited, badhello_*: Hellos refused).
#include <algorithm>

#include "common/logging.h"
#include "gtest/gtest.h"
#include "tests/fuzz/corpus.h"
#include "tests/fuzz/worker_fuzz_target.h"

namespace synth::fuzz {
namespace {

TEST(WorkerCorpusReplayTest, EverySeedKeepsTheInvariants) {
  FLAGS_minloglevel = 2;
  size_t accepted = 0, limited = 0, kinds = 0;
  int seeds = ForEachSeed(SYNTH_WORKER_CORPUS_DIR, [&](const std::string& name,
                                                        const uint8_t* data, size_t size) {
    WorkerFuzzResult r = FuzzWorkerOnce(data, size);
    EXPECT_EQ(r.violation, "") << name;
    EXPECT_GT(r.ops, 0u) << name;
    if (Starts(name, "accept_")) EXPECT_GT(r.accepted, 0u) << name;
    if (Starts(name, "flood_")) EXPECT_GT(r.rate_limited, 0u) << name;
    if (Starts(name, "badhello_")) EXPECT_GT(r.hellos_refused, 0u) << name;
    accepted += r.accepted;
    limited += r.rate_limited;
    kinds = std::max(kinds, r.rejected_kinds);
  });
  EXPECT_GE(seeds, 10) << SYNTH_WORKER_CORPUS_DIR;
  EXPECT_GT(accepted, 0u);
  EXPECT_GT(limited, 0u);
  EXPECT_GE(kinds, 3u);  // Some seed reaches several non-accepted states.
}

}  // namespace
}  // namespace synth::fuzz
