// File: worker/benchmark.h
//
// `synth-worker --benchmark`: measures the hash rate of every CPU hash core this machine runs
// (or only --hash-core), each on --threads CPU devices for --seconds, and of the CUDA devices
// when --devices asks for them, then prints a table or one JSON object.
//
//   BenchmarkOptions options{.seconds = 5, .threads = 2};
//   ASSIGN_OR_RETURN(BenchmarkReport report, RunBenchmark(options));
//   std::cout << ReportJson(report) << "\n";
//
// JSON: {"seconds":5,"threads":2,"cpu":"AMD EPYC ...","cpu_family":25,"cpu_model":17,
//        "cpu_clock_hz":3.6e9,"selected_cpu_impl":"avx512",
//        "devices":[{"name":"cpu0","kind":"cpu","impl":"avx512","hashes":..,"seconds":..,
//                    "hashes_per_second":..,"cpu_seconds":..,"hashes_per_cpu_second":..}, ...],
//        "implementations":[{"impl":"avx512","kind":"cpu","devices":2,"hashes_per_second":..,
//                            "hashes_per_cpu_second":..,"cycles_per_nonce":..}],
//        "total_hashes_per_second":..}
// cpu_clock_hz is measured (MeasureClockHz in common/hash/cpu_features.h); a CPU
// implementation's cycles_per_nonce is that clock over its rate per device. On a machine that
// other work shares, hashes_per_cpu_second (hashes over each hashing thread's CPU time) is the
// rate the devices had while they ran; hashes_per_second is over wall time.
// Implementations run one after another (never two CPU cores at once); the total is what the
// worker would run: the selected CPU core's rate (the dispatcher's pick, or --hash-core) plus
// every GPU's. The selected CPU core (when it hashes rows, HashCore::MaxRow) and the GPUs are
// measured a second time with kBenchmarkRollingVersions sibling midstates per nonce, as with a
// version-rolling pool: rows with "versions": 4 and an equivalent rate, not in the total.
//
// Thread-safety: RunBenchmark starts and joins its own threads; call it from one thread.
#ifndef SYNTH_WORKER_BENCHMARK_H_
#define SYNTH_WORKER_BENCHMARK_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/devices/device.h"

namespace synth::worker {

struct BenchmarkOptions {
  double seconds = 5;              // Per implementation.
  int threads = 0;                 // CPU devices per implementation; 0 = one per online CPU.
  std::string hash_core = "auto";  // "auto"/"": every usable core; else that core only.
  std::string devices = "cpu";     // As registry.h's --devices.
};

struct DeviceRate {
  std::string name;
  DeviceKind kind = DeviceKind::kCpu;
  std::string impl;
  // Midstates hashed per nonce: 1, or kBenchmarkRollingVersions for the version-rolling mode
  // (headers that differ only in the version share one message schedule on a GPU); hashes then
  // counts every header hashed (the "equivalent" rate).
  int versions = 1;
  uint64_t hashes = 0;
  double seconds = 0;
  double hashes_per_second = 0;
  // CPU devices: the hashing thread's CPU time, and hashes over it (the rate while it ran,
  // whatever else the machine ran); 0 for GPUs.
  double cpu_seconds = 0;
  double hashes_per_cpu_second = 0;
};

// Midstates per nonce in the GPU's version-rolling benchmark mode.
inline constexpr int kBenchmarkRollingVersions = 4;

struct ImplRate {
  std::string impl;
  DeviceKind kind = DeviceKind::kCpu;
  int versions = 1;  // As DeviceRate::versions; only versions == 1 counts in the total.
  int devices = 0;
  double hashes_per_second = 0;      // Sum over its devices.
  double hashes_per_cpu_second = 0;  // Sum over its devices; 0 for GPUs.
};

struct BenchmarkReport {
  double seconds = 0;
  int threads = 0;
  std::string cpu;                // CPU brand string.
  int cpu_family = 0;             // CPUID display family and model.
  int cpu_model = 0;
  double cpu_clock_hz = 0;        // Measured before the CPU runs; 0 when unknown.
  std::string selected_cpu_impl;  // Empty when no CPU device ran.
  std::vector<DeviceRate> devices;
  std::vector<ImplRate> implementations;
  double total_hashes_per_second = 0;
};

// Runs the benchmark. InvalidArgument for bad options (seconds <= 0 or > 3600, bad --devices,
// --threads or --hash-core name); FailedPrecondition for a core this CPU cannot run; device
// errors as the device reports them.
absl::StatusOr<BenchmarkReport> RunBenchmark(const BenchmarkOptions& options);

// Hashes on every device at once, one thread each, for `seconds`; returns one rate per device.
absl::StatusOr<std::vector<DeviceRate>> MeasureDevices(
    std::span<const std::unique_ptr<Device>> devices, double seconds, int versions = 1);

// Returns the text of `synth-worker --list-hash-cores`: every core compiled in, the ones this CPU
// runs first, fastest first, with their start-up timing (hash::MeasuredCores: one thread, MH/s
// and cycles per nonce at the measured clock) and the one "auto" picks; then the cores this CPU
// cannot run or that failed their self-test, with the reason.
std::string ListHashCores();

// Renders the report as a human-readable table (MH/s).
std::string ReportTable(const BenchmarkReport& report);

// Renders the report as one JSON object (see the file comment).
std::string ReportJson(const BenchmarkReport& report);

// Nonces for a GPU's next benchmark Scan at `nonces_per_second` (0 while unknown) starting at
// `next_nonce`: about 50 ms of work, the mining default (--batch_ms), as a GPU Scan drains its
// launch pipeline at the end as mining batches do; 2^26 while the rate is unknown, never past
// the end of the nonce space (start + count <= 2^32). Rounded down to a multiple of `multiple`
// (the device's ScanMultiple: a GPU's whole wave) where the chunk holds one.
uint64_t GpuBenchmarkChunk(double nonces_per_second, uint64_t next_nonce, uint64_t multiple = 1);

}  // namespace synth::worker

#endif  // SYNTH_WORKER_BENCHMARK_H_
