// The tuning table's lookup rules (runs everywhere; no GPU needed).
#include "kernels/tuning.h"

#include "gtest/gtest.h"

namespace synth::kernels {
namespace {

TEST(TuningTest, ExactRowForTheH100) {
  const KernelTuning t = TuningFor(9, 0);
  EXPECT_EQ(t.cc, 90);
  EXPECT_EQ(t.add_mode, 13);
  EXPECT_EQ(t.nonces_per_thread, 8);
  EXPECT_EQ(t.rolling_add_mode, 6);
  EXPECT_EQ(t.rolling_nonces_per_thread, 1);
  EXPECT_EQ(t.NoncesPerThreadFor(1), t.nonces_per_thread);
  EXPECT_EQ(t.NoncesPerThreadFor(4), 1);
  EXPECT_EQ(t.max_mids, 4);
  EXPECT_EQ(t.launch_nonces, uint64_t{1} << 26);
}

TEST(TuningTest, ClosestOlderRowOfTheSameMajor) {
  const KernelTuning t87 = TuningFor(8, 7);  // Jetson Orin: no row, GA10x's values.
  const KernelTuning t86 = TuningFor(8, 6);
  EXPECT_EQ(t87.cc, 87);
  EXPECT_EQ(t87.launch_nonces, t86.launch_nonces);
}

TEST(TuningTest, UnknownMajorGetsTheFallback) {
  const KernelTuning t = TuningFor(10, 0);
  EXPECT_EQ(t.cc, 100);
  EXPECT_EQ(t.launch_nonces, TuningFor(6, 1).launch_nonces);
}

TEST(TuningTest, EveryRowIsLaunchable) {
  for (int cc : {0, 61, 75, 80, 86, 89, 90, 100, 120}) {
    const KernelTuning t = TuningFor(cc / 10, cc % 10);
    EXPECT_EQ(t.threads_per_block % 32, 0) << cc;
    EXPECT_LE(t.threads_per_block, 512) << cc;
    EXPECT_EQ(t.rolling_threads_per_block % 32, 0) << cc;
    EXPECT_LE(t.rolling_threads_per_block, 512) << cc;
    EXPECT_EQ(t.ThreadsPerBlockFor(1), t.threads_per_block) << cc;
    EXPECT_EQ(t.ThreadsPerBlockFor(4), t.rolling_threads_per_block) << cc;
    EXPECT_GE(t.nonces_per_thread, 1) << cc;
    EXPECT_GE(t.rolling_nonces_per_thread, 1) << cc;
    EXPECT_TRUE((t.add_mode >= 0 && t.add_mode <= 9) || t.add_mode == 13) << cc;
    EXPECT_EQ(t.AddModeFor(1), t.add_mode) << cc;
    EXPECT_EQ(t.AddModeFor(4), t.rolling_add_mode) << cc;
    EXPECT_GT(t.target_batch_ms, 0) << cc;
    EXPECT_TRUE(t.max_mids == 1 || t.max_mids == 2 || t.max_mids == 4 || t.max_mids == 8) << cc;
  }
}

}  // namespace
}  // namespace synth::kernels
