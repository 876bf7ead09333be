// Google Benchmark of every CPU hash core this CPU runs, plus the non-hoisted SHA-NI baseline and
// the plain reference (sha256.h), on one and two threads, and of the row cores on rows of 2, 4
// and 8 sibling midstates. Reports headers hashed per second as items_per_second.
//
//   synth_hash_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <cstdint>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "common/hash/cores.h"
#include "common/hash/dispatch.h"
#include "common/hash/scan.h"

namespace synth::hash {
namespace {

constexpr uint64_t kBatch = uint64_t{1} << 16;

ScanWork BenchWork() {
  uint8_t header[80];
  for (int i = 0; i < 80; ++i) header[i] = static_cast<uint8_t>(i * 7 + 3);
  Target256 target{};
  target[6] = 0xffff0000;  // Difficulty 1: what a pool share target looks like.
  return MakeScanWork(header, target);
}

void BM_Core(benchmark::State& state, const HashCore* core) {
  const ScanWork work = BenchWork();
  std::vector<uint32_t> found;
  uint32_t start = static_cast<uint32_t>(state.thread_index()) << 30;  // Disjoint per thread.
  for (auto _ : state) {
    core->Scan(work, start, kBatch, &found);
    start += static_cast<uint32_t>(kBatch);
    benchmark::DoNotOptimize(found.data());
    found.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

// A row of `state.range(0)` sibling midstates (version rolling) per nonce; items = headers hashed.
void BM_CoreRow(benchmark::State& state, const HashCore* core) {
  std::vector<ScanWork> works;
  uint8_t header[80];
  for (int i = 0; i < 80; ++i) header[i] = static_cast<uint8_t>(i * 7 + 3);
  Target256 target{};
  target[6] = 0xffff0000;
  for (int64_t v = 0; v < state.range(0); ++v) {
    header[2] = static_cast<uint8_t>(v << 5);  // BIP 320 bits of the version.
    works.push_back(MakeScanWork(header, target));
  }
  std::vector<RowFound> found;
  uint32_t start = static_cast<uint32_t>(state.thread_index()) << 30;
  for (auto _ : state) {
    core->ScanRow(works, start, kBatch, &found);
    start += static_cast<uint32_t>(kBatch);
    benchmark::DoNotOptimize(found.data());
    found.clear();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch * works.size()));
}

void BM_Reference(benchmark::State& state) {
  const ScanWork work = BenchWork();
  uint32_t nonce = 0;
  int64_t hits = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1024; ++i) hits += MeetsTarget(HashNonce(work, nonce++), work.target);
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations() * 1024);
}

void RegisterAll() {
  std::vector<const HashCore*> cores = AllCores();
  cores.push_back(&ShaNiPlainCore());
  for (const HashCore* core : cores) {
    if (!core->Supported()) continue;
    benchmark::RegisterBenchmark(("BM_Core/" + std::string(core->Name())).c_str(), BM_Core, core)
        ->Unit(benchmark::kMillisecond)
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime();
  }
  for (const HashCore* core : cores) {
    if (!core->Supported() || core->MaxRow() < 2) continue;
    benchmark::RegisterBenchmark(("BM_CoreRow/" + std::string(core->Name())).c_str(), BM_CoreRow,
                                 core)
        ->Unit(benchmark::kMillisecond)
        ->Arg(2)
        ->Arg(4)
        ->Arg(8)
        ->UseRealTime();
  }
  benchmark::RegisterBenchmark("BM_Reference", BM_Reference)->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace synth::hash

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  synth::hash::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
