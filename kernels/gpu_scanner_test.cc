// The CUDA kernel and feeder against the scalar reference (common/hash): candidate sets (every
// nonce whose hash's top word is <= target[7], none extra) on seeded random midstates, launch
// boundaries, ranges ending at 2^32 - 1, ring overflow and cancel. Skips without a GPU.
#include "kernels/gpu_scanner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "common/hash/scan.h"
#include "gtest/gtest.h"

namespace synth::kernels {
namespace {

using CandSet = std::set<std::pair<uint32_t, uint32_t>>;  // (work index, nonce)

class GpuScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<int> n = CountGpus();
    ASSERT_TRUE(n.ok()) << n.status();
    if (*n == 0) GTEST_SKIP() << "no CUDA GPU or driver on this machine";
  }

  // A scanner with small launches so that short ranges still cross launch boundaries.
  static std::unique_ptr<GpuScanner> Small(uint32_t capacity = 4096) {
    GpuScanner::Options o;
    absl::StatusOr<std::unique_ptr<GpuScanner>> probe = GpuScanner::Create(0, o);
    EXPECT_TRUE(probe.ok()) << probe.status();
    o.override_tuning = true;
    o.tuning = (*probe)->Tuning();
    o.tuning.launch_nonces = 1 << 16;
    o.tuning.target_batch_ms = 0.001;  // Keeps launches at the 65536-hash minimum.
    o.ring_capacity = capacity;
    o.whole_waves = false;
    absl::StatusOr<std::unique_ptr<GpuScanner>> s = GpuScanner::Create(0, o);
    EXPECT_TRUE(s.ok()) << s.status();
    return std::move(*s);
  }
};

std::vector<GpuWork> RandomWorks(uint32_t seed, int n, uint32_t target7) {
  std::mt19937 rng(seed);
  uint8_t header[80];
  for (uint8_t& b : header) b = static_cast<uint8_t>(rng());
  hash::Target256 target{};
  for (uint32_t& w : target) w = rng();
  target[7] = target7;
  std::vector<GpuWork> works;
  for (int i = 0; i < n; ++i) {
    header[0] = static_cast<uint8_t>(rng());  // Versions differ: midstates differ, tail shared.
    header[1] = static_cast<uint8_t>(rng());
    hash::ScanWork sw = hash::MakeScanWork(header, target);
    works.push_back({sw.midstate, sw.tail, sw.target});
  }
  return works;
}

CandSet Reference(const std::vector<GpuWork>& works, uint32_t start, uint64_t count) {
  CandSet out;
  for (uint32_t m = 0; m < works.size(); ++m) {
    hash::ScanWork sw{works[m].midstate, works[m].tail, works[m].target};
    for (uint64_t i = 0; i < count; ++i) {
      const uint32_t nonce = start + static_cast<uint32_t>(i);
      if (hash::HashAsWords(hash::HashNonce(sw, nonce))[7] <= works[m].target[7]) {
        out.insert({m, nonce});
      }
    }
  }
  return out;
}

CandSet Gpu(GpuScanner& s, const std::vector<GpuWork>& works, uint32_t start, uint64_t count) {
  std::vector<GpuCandidate> c;
  absl::StatusOr<uint64_t> done = s.Scan(works, start, count, nullptr, &c);
  EXPECT_TRUE(done.ok()) << done.status();
  if (done.ok()) {
    EXPECT_EQ(*done, count * works.size());
  }
  CandSet out;
  for (const GpuCandidate& x : c) EXPECT_TRUE(out.insert({x.work_index, x.nonce}).second);
  return out;
}

TEST_F(GpuScannerTest, RandomMidstatesMatchReference) {
  auto s = Small();
  for (int mids : {1, 2, 3, 4, 7}) {
    std::vector<GpuWork> works = RandomWorks(100 + mids, mids, 0x0003ffff);
    const CandSet want = Reference(works, 12345, 200003);
    EXPECT_GT(want.size(), 0u);
    EXPECT_EQ(Gpu(*s, works, 12345, 200003), want) << mids << " midstates";
  }
}

TEST_F(GpuScannerTest, DefaultTuningMatchesReference) {
  auto s = GpuScanner::Create(0, {});
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<GpuWork> works = RandomWorks(7, 4, 0x0001ffff);
  EXPECT_EQ(Gpu(**s, works, 0xfff00000u, 300000), Reference(works, 0xfff00000u, 300000));
}

TEST_F(GpuScannerTest, WholeWaveScansLaunchOnlyWholeWaves) {
  auto s = GpuScanner::Create(0, {});
  ASSERT_TRUE(s.ok()) << s.status();
  GpuScanner& g = **s;
  const KernelTuning& t = g.Tuning();
  for (int mids : {1, 2, 4}) {
    const uint64_t wave = g.WaveNonces(mids);
    const uint64_t block = uint64_t(t.ThreadsPerBlockFor(mids)) * t.NoncesPerThreadFor(mids);
    EXPECT_EQ(wave % (block * g.Info().multiprocessors), 0u) << mids;  // Whole blocks, all SMs.
  }
  EXPECT_EQ(g.WaveNonces(3), 1u);  // Not a launch size.
  // A Scan of whole waves is hashed completely and matches the reference.
  std::vector<GpuWork> works = RandomWorks(17, 1, 0x0000ffff);
  const uint64_t count = 2 * g.WaveNonces(1);
  EXPECT_EQ(Gpu(g, works, 1000, count), Reference(works, 1000, count));
}

TEST_F(GpuScannerTest, RangeEndingAtTopNonce) {
  auto s = Small();
  std::vector<GpuWork> works = RandomWorks(9, 2, 0x000fffff);
  const uint32_t start = 0xffffffffu - 150000 + 1;
  const CandSet got = Gpu(*s, works, start, 150000);
  EXPECT_EQ(got, Reference(works, start, 150000));
  EXPECT_GE(s->Stats().launches, 4u);  // Crossed launch boundaries.
}

TEST_F(GpuScannerTest, TinyAndOddCounts) {
  auto s = Small();
  std::vector<GpuWork> works = RandomWorks(11, 1, 0x00ffffff);
  for (uint64_t count : {1ull, 31ull, 4097ull, 65537ull}) {
    EXPECT_EQ(Gpu(*s, works, 777, count), Reference(works, 777, count)) << count;
  }
  EXPECT_TRUE(Gpu(*s, works, 0, 0).empty());
}

TEST_F(GpuScannerTest, RingOverflowIsRescanned) {
  auto s = Small(/*capacity=*/64);
  std::vector<GpuWork> works = RandomWorks(13, 2, 0xffffffffu);  // Every nonce a candidate.
  const CandSet got = Gpu(*s, works, 5, 3000);
  EXPECT_EQ(got.size(), 6000u);
  EXPECT_GE(s->Stats().overflow_rescans, 1u);
}

TEST_F(GpuScannerTest, BadArgumentsAreErrors) {
  auto s = Small();
  std::vector<GpuCandidate> c;
  EXPECT_FALSE(s->Scan({}, 0, 10, nullptr, &c).ok());
  std::vector<GpuWork> works = RandomWorks(1, 2, 0);
  EXPECT_FALSE(s->Scan(works, 0xffffff00u, 0x101, nullptr, &c).ok());
  works[1].tail[0] ^= 1;
  EXPECT_FALSE(s->Scan(works, 0, 10, nullptr, &c).ok());
  EXPECT_EQ(GpuScanner::Create(1 << 20, {}).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(GpuScannerTest, CancelStopsWithinABatch) {
  GpuScanner::Options o;
  o.target_batch_ms = 10;
  auto s = GpuScanner::Create(0, o);
  ASSERT_TRUE(s.ok()) << s.status();
  std::vector<GpuWork> works = RandomWorks(17, 1, 0);
  std::vector<GpuCandidate> c;
  ASSERT_TRUE((*s)->Scan(works, 0, uint64_t{1} << 30, nullptr, &c).ok());  // Adapt first.
  std::atomic<bool> cancel{false};
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cancel = true;
  });
  const auto t0 = std::chrono::steady_clock::now();
  absl::StatusOr<uint64_t> done = (*s)->Scan(works, 0, uint64_t{1} << 32, &cancel, &c);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  t.join();
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_GT(*done, 0u);
  EXPECT_LT(*done, uint64_t{1} << 32);
  // 100 ms, then the running launch (and at most one queued behind it) of ~10 ms each.
  EXPECT_LT(ms, 100 + 3 * 10 + 20) << "cancel took " << ms - 100 << " ms";
}

}  // namespace
}  // namespace synth::kernels
