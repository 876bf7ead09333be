// Cost of one /metrics scrape and one /api/status poll on the master, by cluster size (workers ×
// 4 devices), from a ready snapshot (the Cluster's FillStatus/FillWorkers come on top).
//
//   build/release/.../synth_master_http_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "common/metrics/exposition.h"
#include "master/http/views.h"

namespace synth::http {
namespace {

MasterSnapshot Snapshot(int workers) {
  MasterSnapshot snap;
  snap.status.set_pool_connected(true);
  snap.status.set_reported_rate_hps(1e12);
  snap.status.mutable_shares()->set_accepted(123456);
  for (int w = 0; w < workers; ++w) {
    v1::WorkerStatus* ws = snap.workers.add_workers();
    ws->set_worker_id(absl::StrCat("rig-", w));
    for (int d = 0; d < 4; ++d) {
      v1::DeviceStatus* ds = ws->add_devices();
      ds->set_name(absl::StrCat("cuda", d));
      ds->set_reported_rate_hps(1.5e9 + d);
    }
  }
  return snap;
}

void BM_RenderMetrics(benchmark::State& state) {
  MasterSnapshot snap = Snapshot(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = RenderSnapshotMetrics(snap);
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderMetrics)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_StatusJson(benchmark::State& state) {
  MasterSnapshot snap = Snapshot(static_cast<int>(state.range(0)));
  for (int i = 0; i < 900; ++i) {  // 15 minutes at one sample a second.
    v1::RateSample* p = snap.status.add_history();
    p->set_unix_s(1.7e9 + i);
    p->set_reported_hps(1e12);
    p->set_verified_hps(1e12);
  }
  for (auto _ : state) {
    std::string text = StatusJson(snap, {true, "ok"}).dump();
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_StatusJson)->Arg(1)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

// Baseline: parsing what a 100-worker scrape renders (what a Prometheus server does with it).
void BM_ParseMetrics(benchmark::State& state) {
  std::string text = RenderSnapshotMetrics(Snapshot(static_cast<int>(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(metrics::ParseText(text));
}
BENCHMARK(BM_ParseMetrics)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace synth::http

BENCHMARK_MAIN();
