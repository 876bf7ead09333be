#include "worker/benchmark.h"

#include "common/hash/dispatch.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace synth::worker {
namespace {

TEST(BenchmarkTest, OneCoreReportsParseableJson) {
  absl::StatusOr<BenchmarkReport> report =
      RunBenchmark({.seconds = 0.2, .threads = 2, .hash_core = "scalar", .devices = "cpu"});
  ASSERT_TRUE(report.ok()) << report.status();
  nlohmann::json j = nlohmann::json::parse(ReportJson(*report));
  // Two threads plain, then the same two with 4 rolled versions per nonce (scalar hashes rows).
  ASSERT_EQ(j["devices"].size(), 4u);
  double sum = 0;
  for (const auto& d : j["devices"]) {
    EXPECT_EQ(d["kind"], "cpu");
    EXPECT_EQ(d["impl"], "scalar");
    EXPECT_GT(d["hashes_per_second"].get<double>(), 1e5);
    // The hashing thread's own CPU time: at most its wall time, and a rate at least the wall one.
    EXPECT_GT(d["cpu_seconds"].get<double>(), 0);
    EXPECT_LE(d["cpu_seconds"].get<double>(), d["seconds"].get<double>() * 1.01);
    EXPECT_GE(d["hashes_per_cpu_second"].get<double>(),
              d["hashes_per_second"].get<double>() * 0.99);
    if (d["versions"] == 1) sum += d["hashes_per_second"].get<double>();
  }
  EXPECT_EQ(j["devices"][1]["name"], "cpu1");
  EXPECT_EQ(j["devices"][3]["versions"], kBenchmarkRollingVersions);
  EXPECT_DOUBLE_EQ(j["total_hashes_per_second"].get<double>(), sum);
  EXPECT_EQ(j["selected_cpu_impl"], "scalar");
  EXPECT_NE(ReportTable(*report).find("total:"), std::string::npos);
}

TEST(BenchmarkTest, AutoMeasuresEveryUsableCoreAndTotalsTheSelectedOne) {
  absl::StatusOr<BenchmarkReport> report =
      RunBenchmark({.seconds = 0.1, .threads = 1, .devices = "cpu"});
  ASSERT_TRUE(report.ok()) << report.status();
  nlohmann::json j = nlohmann::json::parse(ReportJson(*report));
  std::vector<const hash::HashCore*> usable = hash::UsableCores();
  const hash::HashCore* fastest = hash::MeasuredCores().front().core;
  const bool rows = fastest->MaxRow() >= kBenchmarkRollingVersions;
  ASSERT_EQ(j["implementations"].size(), usable.size() + (rows ? 1 : 0));
  if (rows) {  // The version-rolling row of the selected core comes last, outside the total.
    const auto& rolling = j["implementations"].back();
    EXPECT_EQ(rolling["impl"], std::string(fastest->Name()));
    EXPECT_EQ(rolling["versions"], kBenchmarkRollingVersions);
    EXPECT_GT(rolling["hashes_per_second"].get<double>(), 0);
  }
  EXPECT_EQ(j["selected_cpu_impl"], std::string(fastest->Name()));
  size_t selected = 0;
  while (selected < usable.size() && usable[selected] != fastest) ++selected;
  ASSERT_LT(selected, usable.size());
  EXPECT_DOUBLE_EQ(j["total_hashes_per_second"].get<double>(),
                   j["implementations"][selected]["hashes_per_second"].get<double>());
  // The clock is measured, and each CPU row is accounted in cycles per nonce by it.
  const double clock = j["cpu_clock_hz"].get<double>();
  EXPECT_GT(clock, 0);
  EXPECT_GT(j["cpu_family"].get<int>(), 0);
  const auto& row = j["implementations"][selected];
  EXPECT_NEAR(row["cycles_per_nonce"].get<double>(), clock / row["hashes_per_second"].get<double>(),
              1e-6 * clock);
}

TEST(BenchmarkTest, ListHashCoresShowsTimingsAndThePick) {
  const std::string list = ListHashCores();
  for (const hash::HashCore* core : hash::AllCores()) {
    EXPECT_NE(list.find(std::string(core->Name())), std::string::npos) << core->Name();
  }
  // Below the header, the first row is the fastest core, the only one marked as auto's pick.
  std::string rows = list.substr(list.find('\n') + 1);
  std::string first_row = rows.substr(0, rows.find('\n'));
  EXPECT_EQ(first_row.rfind(std::string(hash::MeasuredCores().front().core->Name()) + " ", 0), 0u)
      << list;
  EXPECT_NE(first_row.find("<- auto"), std::string::npos) << list;
  EXPECT_EQ(list.find("<- auto"), list.rfind("<- auto"));
  EXPECT_NE(list.find("cycles/nonce"), std::string::npos);
}

TEST(BenchmarkTest, RejectsBadOptions) {
  EXPECT_EQ(RunBenchmark({.seconds = 0}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunBenchmark({.seconds = 1, .threads = -2}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunBenchmark({.seconds = 1, .devices = "tpu"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RunBenchmark({.seconds = 1, .hash_core = "x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BenchmarkTest, GpuChunksTakeAboutFiftyMillisecondsAndStayInTheNonceSpace) {
  constexpr uint64_t kSpace = uint64_t{1} << 32;
  EXPECT_EQ(GpuBenchmarkChunk(0, 0), uint64_t{1} << 26);  // Rate not known yet.
  EXPECT_EQ(GpuBenchmarkChunk(8.4e9, 0), uint64_t{420000000});
  EXPECT_EQ(GpuBenchmarkChunk(1e3, 0), uint64_t{1} << 20);  // Floor.
  EXPECT_EQ(GpuBenchmarkChunk(1e12, 0), kSpace);           // Ceiling: the whole space.
  // Near the end of the space the chunk stops at 2^32 (Scan rejects start + count > 2^32).
  EXPECT_EQ(GpuBenchmarkChunk(8.4e9, kSpace - 5), uint64_t{5});
  EXPECT_EQ(GpuBenchmarkChunk(0, kSpace - 1000), uint64_t{1000});
}

TEST(BenchmarkTest, GpuChunksComeInWholeWaves) {
  constexpr uint64_t kSpace = uint64_t{1} << 32;
  constexpr uint64_t kWave = 256 * 16 * 4 * 132;  // An H100's wave of the 1-midstate kernel.
  EXPECT_EQ(GpuBenchmarkChunk(8.4e9, 0, kWave), 194 * kWave);  // 420e6 rounded down.
  EXPECT_EQ(GpuBenchmarkChunk(0, 0, kWave) % kWave, 0u);
  // A chunk smaller than one wave stays as it is, and the end of the space still wins.
  EXPECT_EQ(GpuBenchmarkChunk(1e3, 0, kWave), uint64_t{1} << 20);
  EXPECT_EQ(GpuBenchmarkChunk(8.4e9, kSpace - 5, kWave), uint64_t{5});
}

}  // namespace
}  // namespace synth::worker
