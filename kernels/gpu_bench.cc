// synth_gpu_bench: checks every kernel variant against the scalar reference, times them raw
// (events around back-to-back launches), then times the feeder (GpuScanner::Scan in 2^28-nonce
// chunks, as synth-worker --benchmark calls it) with its CPU cost. Run by tests/bench/gpu_bench.sh.
//
//   synth_gpu_bench [seconds_per_feeder_run] [tsv_out]
//   SYNTH_GPU_BENCH_ONLY=mode,mids,tpb,npt synth_gpu_bench   # that variant only: checked, then
//                                          # two timed launches, no feeder (for ncu profiles)
//   SYNTH_GPU_BENCH_VARIANTS="6,1,256,16 9,1,256,16" SYNTH_GPU_BENCH_ROUNDS=3 synth_gpu_bench 0
//                                          # those variants, timed in turn ROUNDS times (so that
//                                          # clock drift hits each alike); seconds 0: no feeder
//
// npt 1 selects the kernel without the per-thread loop, npt > 1 the looped one.
#include <cuda_runtime_api.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/hash/scan.h"
#include "kernels/gpu_scanner.h"
#include "kernels/sha256d_kernel.h"

namespace synth::kernels {
namespace {

std::vector<GpuWork> Works(int n, uint32_t target7) {
  std::mt19937 rng(2026);
  uint8_t header[80];
  for (uint8_t& b : header) b = static_cast<uint8_t>(rng());
  std::vector<GpuWork> works;
  for (int i = 0; i < n; ++i) {
    header[2] = static_cast<uint8_t>(i);
    hash::Target256 t{};
    t[7] = target7;
    hash::ScanWork sw = hash::MakeScanWork(header, t);
    works.push_back({sw.midstate, sw.tail, sw.target});
  }
  return works;
}

LaunchArgs Args(const std::vector<GpuWork>& works, uint32_t* ring, uint32_t capacity) {
  LaunchArgs a{};
  uint32_t tw[3];
  for (int i = 0; i < 3; ++i) {
    const uint8_t* p = works[0].tail.data() + 4 * i;
    tw[i] = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
  }
  PrecomputeTail(tw, &a.tail);
  for (size_t m = 0; m < works.size(); ++m)
    PrecomputeMidstate(works[m].midstate.data(), tw, &a.mids[m]);
  a.nmids = static_cast<uint32_t>(works.size());
  a.target7 = works[0].target[7];
  a.ring = ring;
  a.capacity = capacity;
  return a;
}

#define CHECK_CUDA(x)                                                                        \
  do {                                                                                       \
    cudaError_t e = (x);                                                                     \
    if (e != cudaSuccess) {                                                                  \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #x, cudaGetErrorString(e)); \
      std::exit(1);                                                                          \
    }                                                                                        \
  } while (0)

// Returns true when the variant's candidates equal the scalar reference's on 2^18 nonces.
bool Check(int mode, int mids, int tpb, int npt, uint32_t* ring) {
  const std::vector<GpuWork> works = Works(mids, 0x000fffff);
  const uint32_t start = 0xfffc0000u, count = 1 << 18;
  std::set<std::pair<uint32_t, uint32_t>> want, got;
  for (int m = 0; m < mids; ++m) {
    hash::ScanWork sw{works[m].midstate, works[m].tail, works[m].target};
    for (uint32_t i = 0; i < count; ++i) {
      if (hash::HashAsWords(hash::HashNonce(sw, start + i))[7] <= 0x000fffff) {
        want.insert({m, start + i});
      }
    }
  }
  LaunchArgs a = Args(works, ring, 4096);
  a.start = start;
  a.count = count;
  a.npt = npt;
  CHECK_CUDA(cudaMemset(ring, 0, 4));
  CHECK_CUDA(LaunchSha256dScan(a, tpb, mode, nullptr));
  std::vector<uint32_t> host(1 + 2 * 4096);
  CHECK_CUDA(cudaMemcpy(host.data(), ring, host.size() * 4, cudaMemcpyDeviceToHost));
  for (uint32_t i = 0; i < std::min(host[0], 4096u); ++i)
    got.insert({host[2 + 2 * i], host[1 + 2 * i]});
  return host[0] <= 4096 && got == want && !want.empty();
}

// Returns the median rate (hashes/s) of `reps` launches of ~2^28 hashes each.
double TimeRaw(int mode, int mids, int tpb, int npt, uint32_t* ring, int reps) {
  const std::vector<GpuWork> works = Works(mids, 0);
  LaunchArgs a = Args(works, ring, 4096);
  a.npt = npt;
  a.count = (1u << 28) / mids;
  cudaEvent_t e0, e1;
  CHECK_CUDA(cudaEventCreate(&e0));
  CHECK_CUDA(cudaEventCreate(&e1));
  std::vector<double> rates;
  for (int r = -1; r < reps; ++r) {
    a.start = 0x10000000u * (r + 1);
    CHECK_CUDA(cudaEventRecord(e0));
    CHECK_CUDA(LaunchSha256dScan(a, tpb, mode, nullptr));
    CHECK_CUDA(cudaEventRecord(e1));
    CHECK_CUDA(cudaEventSynchronize(e1));
    float ms = 0;
    CHECK_CUDA(cudaEventElapsedTime(&ms, e0, e1));
    if (r >= 0) rates.push_back(double(a.count) * mids / (ms * 1e-3));
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Feeder: Scan() in 2^28-nonce chunks for `seconds`; prints rate and CPU share.
void TimeFeeder(int mids, double seconds, FILE* tsv) {
  auto s = GpuScanner::Create(0, {});
  if (!s.ok()) {
    std::printf("feeder: %s\n", s.status().ToString().c_str());
    return;
  }
  const std::vector<GpuWork> works = Works(mids, 0);
  std::vector<GpuCandidate> c;
  uint64_t hashes = 0, next = 0;
  const double cpu0 = ThreadCpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  double wall = 0;
  while (wall < seconds) {
    absl::StatusOr<uint64_t> done =
        (*s)->Scan(works, static_cast<uint32_t>(next), 1 << 28, nullptr, &c);
    if (!done.ok()) {
      std::printf("feeder: %s\n", done.status().ToString().c_str());
      return;
    }
    hashes += *done;
    next = (next + (1 << 28)) & 0xffffffffu;
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  const double cpu = ThreadCpuSeconds() - cpu0;
  const GpuScanStats& st = (*s)->Stats();
  std::printf(
      "feeder mids=%d: %.3f GH/s over %.1f s, launch %llu hashes (%.2f ms avg), CPU %.2f%% of a "
      "core, GPU busy %.1f%%\n",
      mids, hashes / wall / 1e9, wall, (unsigned long long)(*s)->LaunchNonces(),
      st.gpu_ms / st.launches, 100 * cpu / wall, 100 * st.gpu_ms * 1e-3 / wall);
  if (tsv)
    std::fprintf(tsv, "feeder\t%d\t%.4f\t%.3f\n", mids, hashes / wall / 1e9, 100 * cpu / wall);
}

int Main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 5;
  FILE* tsv = argc > 2 ? std::fopen(argv[2], "w") : nullptr;
  cudaDeviceProp p{};
  CHECK_CUDA(cudaGetDeviceProperties(&p, 0));
  const int cc = p.major * 10 + p.minor;
  std::printf("GPU: %s, sm_%d, %d SMs\n", p.name, cc, p.multiProcessorCount);
  uint32_t* ring = nullptr;
  CHECK_CUDA(cudaMalloc(reinterpret_cast<void**>(&ring), (1 + 2 * 4096) * 4));
  struct V {
    int mode, mids, tpb, npt;
  };
  std::vector<V> variants;
  for (int mode : {0, 2, 3})
    for (int mids : {1, 2, 4, 8}) variants.push_back({mode, mids, 256, 16});
  for (int mode : {1, 4, 5}) variants.push_back({mode, 1, 256, 16});
  for (int tpb : {128, 512}) variants.push_back({2, 1, tpb, 16});
  for (int tpb : {128, 512}) variants.push_back({2, 4, tpb, 16});
  for (int npt : {1, 4}) variants.push_back({2, 1, 256, npt});
  variants.push_back({2, 4, 256, 4});
  for (int mids : {1, 2, 4}) variants.push_back({6, mids, 256, 16});
  for (int tpb : {128, 512}) variants.push_back({6, 1, tpb, 16});
  variants.push_back({6, 1, 256, 4});
  // npt 1: the kernel without the per-thread loop.
  for (int mids : {2, 4, 8}) variants.push_back({2, mids, 256, 1});
  for (int mids : {1, 2, 4, 8}) variants.push_back({6, mids, 256, 1});
  for (int tpb : {128, 512}) variants.push_back({6, 1, tpb, 1});
  for (int tpb : {128, 512}) variants.push_back({6, 4, tpb, 1});
  for (int npt : {1, 16}) variants.push_back({6, 1, 384, npt});
  for (int mode : {7, 8})
    for (int mids : {1, 4}) variants.push_back({mode, mids, 256, 1});
  // Modes 9 and 13 (register-held 1 for constant adds; 64 / 32 per-round multipliers).
  for (int mode : {9, 13}) {
    variants.push_back({mode, 1, 512, 1});
    variants.push_back({mode, 1, 256, 16});
  }
  for (int npt : {2, 4, 8}) variants.push_back({13, 1, 256, npt});
  for (int tpb : {384, 512}) variants.push_back({13, 1, tpb, 8});
  for (int mids : {2, 4}) variants.push_back({13, mids, 512, 1});
  const char* only = std::getenv("SYNTH_GPU_BENCH_ONLY");
  const char* list = std::getenv("SYNTH_GPU_BENCH_VARIANTS");
  int reps = 7, rounds = 1;
  if (list != nullptr && *list != '\0' && only == nullptr) {
    variants.clear();
    for (const char* p = list; *p != '\0';) {
      V v{};
      int used = 0;
      if (std::sscanf(p, " %d,%d,%d,%d%n", &v.mode, &v.mids, &v.tpb, &v.npt, &used) != 4) {
        std::fprintf(stderr, "SYNTH_GPU_BENCH_VARIANTS: bad entry at '%s'\n", p);
        return 2;
      }
      variants.push_back(v);
      p += used;
      while (*p == ' ') ++p;
    }
    const char* r = std::getenv("SYNTH_GPU_BENCH_ROUNDS");
    rounds = r != nullptr ? std::max(1, std::atoi(r)) : 1;
  }
  if (only != nullptr) {
    V v{};
    if (std::sscanf(only, "%d,%d,%d,%d", &v.mode, &v.mids, &v.tpb, &v.npt) != 4) {
      std::fprintf(stderr, "SYNTH_GPU_BENCH_ONLY must be mode,mids,tpb,npt (got '%s')\n", only);
      return 2;
    }
    variants = {v};
    reps = 1;
  }
  std::printf("%-5s %-5s %-5s %-5s %-6s %10s\n", "mode", "mids", "tpb", "npt", "check", "GH/s");
  bool all_ok = true;
  std::vector<V> runs;
  for (int r = 0; r < rounds; ++r) runs.insert(runs.end(), variants.begin(), variants.end());
  for (const V& v : runs) {
    if (!VariantAvailable(cc, v.mode, v.mids, v.npt)) continue;
    const bool ok = Check(v.mode, v.mids, v.tpb, v.npt, ring);
    all_ok &= ok;
    const double rate = TimeRaw(v.mode, v.mids, v.tpb, v.npt, ring, reps);
    std::printf("%-5d %-5d %-5d %-5d %-6s %10.3f\n", v.mode, v.mids, v.tpb, v.npt,
                ok ? "ok" : "FAIL", rate / 1e9);
    if (tsv)
      std::fprintf(tsv, "raw\t%d\t%d\t%d\t%d\t%s\t%.4f\n", v.mode, v.mids, v.tpb, v.npt,
                   ok ? "ok" : "FAIL", rate / 1e9);
    std::fflush(stdout);
  }
  if (only == nullptr && seconds > 0)
    for (int mids : {1, 4, 8}) TimeFeeder(mids, seconds, tsv);
  if (tsv) std::fclose(tsv);
  cudaFree(ring);
  return all_ok ? 0 : 1;
}

}  // namespace
}  // namespace synth::kernels

int main(int argc, char** argv) { return synth::kernels::Main(argc, argv); }
