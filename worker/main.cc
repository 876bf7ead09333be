// synth-worker: hashes work leased by synth-master on this machine's CPU cores and GPUs.
//
//   synth-worker [--master HOST:PORT] [--devices ...] [--threads N] [--token T]   (worker mode)
//   synth-worker --benchmark [--seconds=5] [--threads=N] [--hash-core=auto|avx512|sha-ni|...]
//                [--devices=cpu|cuda|all|cuda:0,1] [--json]
//   synth-worker --list-hash-cores
//   synth-worker replay FILE [--hash-core=...]   mines one pool job offline (worker/replay.h)
//
// Flags may be spelled with dashes or underscores (--hash-core or --hash_core).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/config.h"
#include "common/flags.h"
#include "common/hash/dispatch.h"
#include "common/logging.h"
#include "worker/benchmark.h"
#include "worker/replay.h"
#include "worker/worker_main.h"

ABSL_FLAG(bool, benchmark, false, "Measure the hash rate of every implementation and exit");
ABSL_FLAG(double, seconds, 5.0, "Benchmark: seconds per implementation");
ABSL_FLAG(int, threads, 0, "CPU hashing threads; 0 = one per online CPU");
ABSL_FLAG(std::string, hash_core, "auto",
          "CPU hash core: auto (the fastest, timed at start-up) or a name from --list-hash-cores");
ABSL_FLAG(std::string, devices, "all",
          "Devices: all (CPU and every GPU), cpu, cuda, cuda:0,1 or cpu,cuda:0");
ABSL_FLAG(bool, json, false, "Benchmark: print one JSON object instead of a table");
ABSL_FLAG(bool, list_hash_cores, false,
          "List the CPU hash cores, whether this CPU runs them, and their start-up timing");

namespace {

int RunBenchmarkMode() {
  synth::worker::BenchmarkOptions options{
      absl::GetFlag(FLAGS_seconds), absl::GetFlag(FLAGS_threads), absl::GetFlag(FLAGS_hash_core),
      absl::GetFlag(FLAGS_devices)};
  absl::StatusOr<synth::worker::BenchmarkReport> report = synth::worker::RunBenchmark(options);
  if (!report.ok()) {
    std::cerr << "synth-worker: " << report.status() << "\n";
    return 2;
  }
  std::cout << (absl::GetFlag(FLAGS_json) ? synth::worker::ReportJson(*report) + "\n"
                                          : synth::worker::ReportTable(*report));
  return 0;
}

// Runs `synth-worker replay FILE`; exit code 2 on bad input, as scripts expect.
int RunReplayMode(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    std::cerr << "synth-worker replay: cannot read " << path << "\n";
    return 2;
  }
  std::stringstream text;
  text << in.rdbuf();
  absl::Status status =
      synth::worker::RunReplay(text.str(), absl::GetFlag(FLAGS_hash_core), std::cout);
  if (!status.ok()) {
    std::cerr << "synth-worker replay: " << status.message() << "\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  synth::DashesToUnderscores(argc, argv);
  std::vector<char*> positional = synth::ParseCommandLineWithConfig(argc, argv);
  synth::InitLogging(argv[0]);
  if (positional.size() >= 2 && std::string(positional[1]) == "replay") {
    if (positional.size() != 3) {
      std::cerr << "usage: synth-worker replay FILE\n";
      return 2;
    }
    return RunReplayMode(positional[2]);
  }
  if (positional.size() > 1) {
    std::cerr << "synth-worker: unknown command '" << positional[1]
              << "' (commands: replay FILE; see --help)\n";
    return 2;
  }
  if (absl::GetFlag(FLAGS_list_hash_cores)) {
    std::cout << synth::worker::ListHashCores();
    return 0;
  }
  if (absl::GetFlag(FLAGS_benchmark)) return RunBenchmarkMode();
  return synth::worker::RunWorker(synth::worker::WorkerOptionsFromFlags(
      {absl::GetFlag(FLAGS_devices), absl::GetFlag(FLAGS_threads),
       absl::GetFlag(FLAGS_hash_core)}));
}
