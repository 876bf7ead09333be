#include "worker/benchmark.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/hash/cpu_features.h"
#include "common/hash/dispatch.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/devices/registry.h"

namespace synth::worker {

uint64_t GpuBenchmarkChunk(double nonces_per_second, uint64_t next_nonce, uint64_t multiple) {
  constexpr uint64_t kSpace = uint64_t{1} << 32;
  uint64_t chunk =
      nonces_per_second > 0
          ? std::clamp<uint64_t>(static_cast<uint64_t>(nonces_per_second * 0.05),
                                 uint64_t{1} << 20, kSpace)
          : uint64_t{1} << 26;
  if (multiple > 1 && chunk >= multiple) chunk -= chunk % multiple;
  return std::min(chunk, kSpace - std::min(next_nonce, kSpace - 1));
}

namespace {

using Clock = std::chrono::steady_clock;

// A distinct header per device, difficulty-1 target (what pool shares look like); `versions`
// headers that differ only in their version (rolled bits), so in their midstates alone.
std::vector<hash::ScanWork> BenchWorks(size_t device_index, int versions) {
  uint8_t header[80];
  for (int i = 0; i < 80; ++i) header[i] = static_cast<uint8_t>(i * 7 + 3 + device_index * 31);
  hash::Target256 target{};
  target[6] = 0xffff0000;
  std::vector<hash::ScanWork> works;
  for (int v = 0; v < versions; ++v) {
    header[2] = static_cast<uint8_t>(v << 5);  // BIP 320 bits 13..20 of the version.
    works.push_back(hash::MakeScanWork(header, target));
  }
  return works;
}

// Hashes on `device` until `stop`; returns its rate.
absl::StatusOr<DeviceRate> HashUntil(Device* device, size_t index, int versions,
                                     const std::atomic<bool>* stop) {
  const std::vector<hash::ScanWork> works = BenchWorks(index, versions);
  const bool gpu = device->Info().kind == DeviceKind::kCuda;
  DeviceRate rate{device->Info().name, device->Info().kind, device->Info().impl, versions};
  std::vector<FoundNonce> found;
  uint64_t next = 0;
  const Clock::time_point start = Clock::now();
  const double cpu_start = hash::ThreadCpuSeconds();
  while (!stop->load(std::memory_order_relaxed)) {
    found.clear();
    uint64_t n = uint64_t{1} << 22;
    if (gpu) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      n = GpuBenchmarkChunk(elapsed > 0 ? double(rate.hashes) / versions / elapsed : 0, next,
                            device->ScanMultiple(versions));
    }
    ASSIGN_OR_RETURN(uint64_t done,
                     device->Scan(works, static_cast<uint32_t>(next), n, stop, &found));
    rate.hashes += done;
    next = (next + n) & 0xffffffffu;
  }
  rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rate.hashes_per_second = rate.seconds > 0 ? rate.hashes / rate.seconds : 0;
  if (!gpu) {
    rate.cpu_seconds = hash::ThreadCpuSeconds() - cpu_start;
    rate.hashes_per_cpu_second = rate.cpu_seconds > 0 ? rate.hashes / rate.cpu_seconds : 0;
  }
  return rate;
}

// Measures `devices` as one implementation and appends the rows to `report`; returns the sum.
absl::StatusOr<double> MeasureImpl(std::span<const std::unique_ptr<Device>> devices, double seconds,
                                   BenchmarkReport* report, int versions = 1) {
  ASSIGN_OR_RETURN(std::vector<DeviceRate> rates, MeasureDevices(devices, seconds, versions));
  ImplRate impl{rates.front().impl, rates.front().kind, versions, static_cast<int>(rates.size()),
                0};
  for (DeviceRate& r : rates) {
    impl.hashes_per_second += r.hashes_per_second;
    impl.hashes_per_cpu_second += r.hashes_per_cpu_second;
    report->devices.push_back(std::move(r));
  }
  report->implementations.push_back(impl);
  return impl.hashes_per_second;
}

absl::Status ValidateOptions(const BenchmarkOptions& options) {
  if (!(options.seconds > 0 && options.seconds <= 3600)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--seconds=", options.seconds, ": want more than 0 and at most 3600"));
  }
  if (options.threads < 0 || options.threads > 1024) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads=", options.threads, ": want 0..1024"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<DeviceRate>> MeasureDevices(
    std::span<const std::unique_ptr<Device>> devices, double seconds, int versions) {
  if (devices.empty()) return absl::InvalidArgumentError("no devices to measure");
  std::atomic<bool> stop{false};
  std::vector<absl::StatusOr<DeviceRate>> results(devices.size(), absl::UnknownError("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < devices.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = HashUntil(devices[i].get(), i, versions, &stop); });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop.store(true);
  for (std::thread& t : threads) t.join();
  std::vector<DeviceRate> rates;
  for (auto& r : results) {
    RETURN_IF_ERROR(r.status());
    rates.push_back(*std::move(r));
  }
  return rates;
}

absl::StatusOr<BenchmarkReport> RunBenchmark(const BenchmarkOptions& options) {
  RETURN_IF_ERROR(ValidateOptions(options));
  ASSIGN_OR_RETURN(DeviceSelection sel, ParseDeviceSelection(options.devices));
  BenchmarkReport report;
  report.seconds = options.seconds;
  report.threads = ResolveThreads(options.threads);
  const hash::CpuFeatures& cpu = hash::DetectCpuFeatures();
  report.cpu = cpu.brand;
  report.cpu_family = cpu.family;
  report.cpu_model = cpu.model;
  std::vector<std::unique_ptr<Device>> gpus;
  if (sel.cuda) {
    ASSIGN_OR_RETURN(gpus, CreateGpuDevices(sel.cuda_ordinals, sel.cuda_required));
  }
  if (sel.cpu || gpus.empty()) {
    report.cpu_clock_hz = hash::MeasureClockHz();
    ASSIGN_OR_RETURN(const hash::HashCore* selected, hash::SelectCore(options.hash_core));
    const bool all = options.hash_core.empty() || options.hash_core == "auto";
    std::vector<const hash::HashCore*> cores =
        all ? hash::UsableCores() : std::vector<const hash::HashCore*>{selected};
    report.selected_cpu_impl = std::string(selected->Name());
    for (const hash::HashCore* core : cores) {
      LOG(INFO) << "benchmark: " << core->Name() << " on " << report.threads << " threads for "
                << options.seconds << " s";
      std::vector<std::unique_ptr<Device>> cpus = CreateCpuDevices(core, report.threads);
      ASSIGN_OR_RETURN(double rate, MeasureImpl(cpus, options.seconds, &report));
      if (core == selected) report.total_hashes_per_second += rate;
    }
    if (selected->MaxRow() >= kBenchmarkRollingVersions) {
      // Version rolling as the master leases it (rows of sibling midstates): the selected core
      // shares each nonce's message schedule among them. An equivalent rate, not in the total.
      LOG(INFO) << "benchmark: " << selected->Name() << " with " << kBenchmarkRollingVersions
                << " versions per nonce";
      std::vector<std::unique_ptr<Device>> cpus = CreateCpuDevices(selected, report.threads);
      RETURN_IF_ERROR(
          MeasureImpl(cpus, options.seconds, &report, kBenchmarkRollingVersions).status());
    }
  }
  if (!gpus.empty()) {
    ASSIGN_OR_RETURN(double rate, MeasureImpl(gpus, options.seconds, &report));
    report.total_hashes_per_second += rate;
    // The version-rolling mode a GPU uses when the pool allows BIP 310: reported beside the
    // plain rate (as an equivalent rate), not added to the total.
    LOG(INFO) << "benchmark: GPUs with " << kBenchmarkRollingVersions << " versions per nonce";
    RETURN_IF_ERROR(
        MeasureImpl(gpus, options.seconds, &report, kBenchmarkRollingVersions).status());
  }
  return report;
}

namespace {

std::string VersionsNote(int versions) {
  return versions > 1 ? absl::StrCat("  (", versions, " versions/nonce, equivalent)") : "";
}

// Cycles per nonce on one device of `impl` at the measured clock; 0 when unknown.
double CyclesPerNonce(const BenchmarkReport& report, const ImplRate& impl) {
  if (impl.kind != DeviceKind::kCpu || report.cpu_clock_hz <= 0 || impl.hashes_per_second <= 0) {
    return 0;
  }
  return report.cpu_clock_hz * impl.devices / impl.hashes_per_second;
}

}  // namespace

std::string ListHashCores() {
  const std::vector<hash::CoreTiming>& measured = hash::MeasuredCores();
  const double clock_hz = hash::MeasureClockHz();
  std::string out =
      absl::StrFormat("%-12s %-8s %10s %14s\n", "core", "status", "MH/s", "cycles/nonce");
  for (const hash::CoreTiming& t : measured) {
    absl::StrAppendFormat(&out, "%-12s %-8s %10.2f %14.1f%s\n", t.core->Name(), "ok",
                          t.hashes_per_second / 1e6,
                          t.hashes_per_second > 0 ? clock_hz / t.hashes_per_second : 0.0,
                          &t == &measured.front() ? "  <- auto" : "");
  }
  for (const hash::HashCore* core : hash::AllCores()) {
    if (core->Supported() && hash::SelfTest(*core).ok()) continue;
    absl::StrAppendFormat(&out, "%-12s %s\n", core->Name(),
                          core->Supported() ? std::string(hash::SelfTest(*core).message())
                                            : "unsupported on this CPU");
  }
  absl::StrAppendFormat(&out,
                        "timed on one thread at start-up (%d x %.0f ms per core, thread CPU "
                        "time); clock %.2f GHz measured; --hash-core NAME forces a core\n",
                        hash::kStartupTiming.rounds, hash::kStartupTiming.slice_seconds * 1e3,
                        clock_hz / 1e9);
  return out;
}

std::string ReportTable(const BenchmarkReport& report) {
  std::string out = absl::StrFormat(
      "synth-worker benchmark: %.1f s per implementation, %d CPU threads, CPU %s (family %d "
      "model %d, %.2f GHz measured)\n"
      "%-14s %-5s %-14s %12s\n",
      report.seconds, report.threads, report.cpu, report.cpu_family, report.cpu_model,
      report.cpu_clock_hz / 1e9, "device", "kind", "impl", "MH/s");
  for (const DeviceRate& d : report.devices) {
    absl::StrAppendFormat(&out, "%-14s %-5s %-14s %12.2f%s\n", d.name, DeviceKindName(d.kind),
                          d.impl, d.hashes_per_second / 1e6, VersionsNote(d.versions));
  }
  absl::StrAppend(&out, "per implementation:\n");
  for (const ImplRate& i : report.implementations) {
    bool selected =
        i.kind == DeviceKind::kCpu && i.versions == 1 && i.impl == report.selected_cpu_impl;
    const double cycles = CyclesPerNonce(report, i);
    absl::StrAppendFormat(&out, "  %-14s %-5s x%-3d %12.2f MH/s%s%s%s\n", i.impl,
                          DeviceKindName(i.kind), i.devices, i.hashes_per_second / 1e6,
                          cycles > 0 ? absl::StrFormat("  %.1f cycles/nonce", cycles) : "",
                          VersionsNote(i.versions), selected ? "  (selected)" : "");
  }
  absl::StrAppendFormat(&out, "total: %.2f MH/s\n", report.total_hashes_per_second / 1e6);
  return out;
}

std::string ReportJson(const BenchmarkReport& report) {
  nlohmann::json j;
  j["seconds"] = report.seconds;
  j["threads"] = report.threads;
  j["cpu"] = report.cpu;
  j["cpu_family"] = report.cpu_family;
  j["cpu_model"] = report.cpu_model;
  j["cpu_clock_hz"] = report.cpu_clock_hz;
  j["selected_cpu_impl"] = report.selected_cpu_impl;
  j["devices"] = nlohmann::json::array();
  for (const DeviceRate& d : report.devices) {
    j["devices"].push_back({{"name", d.name},
                            {"kind", DeviceKindName(d.kind)},
                            {"impl", d.impl},
                            {"versions", d.versions},
                            {"hashes", d.hashes},
                            {"seconds", d.seconds},
                            {"hashes_per_second", d.hashes_per_second},
                            {"cpu_seconds", d.cpu_seconds},
                            {"hashes_per_cpu_second", d.hashes_per_cpu_second}});
  }
  j["implementations"] = nlohmann::json::array();
  for (const ImplRate& i : report.implementations) {
    j["implementations"].push_back({{"impl", i.impl},
                                    {"kind", DeviceKindName(i.kind)},
                                    {"versions", i.versions},
                                    {"devices", i.devices},
                                    {"hashes_per_second", i.hashes_per_second},
                                    {"hashes_per_cpu_second", i.hashes_per_cpu_second},
                                    {"cycles_per_nonce", CyclesPerNonce(report, i)}});
  }
  j["total_hashes_per_second"] = report.total_hashes_per_second;
  return j.dump();
}

}  // namespace synth::worker
