// CUDA devices for the worker: one Device per GPU over kernels/GpuScanner, with candidates
// re-checked on the host against the full 256-bit target, and NVML telemetry loaded at run time.
// After a hang (the watchdog calls Recover), the stuck Scan is abandoned and the GPU is reset
// into a fresh context and re-tested against the CPU reference before it hashes again.
#include "worker/devices/cuda_device.h"

#include <dlfcn.h>

#include <array>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/hash/scan.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "kernels/gpu_scanner.h"

namespace synth::worker {
namespace {

// The few NVML entry points we read, resolved with dlopen so that the binary needs no NVML at
// link time (NVML ships with the driver, not the toolkit). Signatures from NVML's public API.
class Nvml {
 public:
  using Device = void*;
  struct Utilization {
    unsigned int gpu;
    unsigned int memory;
  };

  // Returns the process-wide instance, or nullptr when libnvidia-ml.so.1 is absent.
  static Nvml* Get() {
    static Nvml* nvml = Load();
    return nvml;
  }

  Device ByPciBusId(const std::string& bus_id) const {
    Device dev = nullptr;
    if (by_pci_(bus_id.c_str(), &dev) != 0) return nullptr;
    return dev;
  }

  DeviceTelemetry Read(Device dev) const {
    DeviceTelemetry t;
    unsigned int v = 0;
    if (temperature_(dev, /*NVML_TEMPERATURE_GPU=*/0, &v) == 0) t.temperature_c = v;
    if (power_(dev, &v) == 0) t.power_w = v / 1000.0;  // Milliwatts.
    if (clock_(dev, /*NVML_CLOCK_SM=*/1, &v) == 0) t.sm_clock_mhz = v;
    Utilization u{};
    if (utilization_(dev, &u) == 0) t.utilization_pct = u.gpu;
    return t;
  }

 private:
  static Nvml* Load() {
    void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      LOG(INFO) << "NVML not available (libnvidia-ml.so.1 not found): no GPU telemetry";
      return nullptr;
    }
    auto nvml = std::unique_ptr<Nvml>(new Nvml);
    auto init = reinterpret_cast<int (*)()>(dlsym(lib, "nvmlInit_v2"));
    nvml->by_pci_ =
        reinterpret_cast<decltype(by_pci_)>(dlsym(lib, "nvmlDeviceGetHandleByPciBusId_v2"));
    nvml->temperature_ =
        reinterpret_cast<decltype(temperature_)>(dlsym(lib, "nvmlDeviceGetTemperature"));
    nvml->power_ = reinterpret_cast<decltype(power_)>(dlsym(lib, "nvmlDeviceGetPowerUsage"));
    nvml->clock_ = reinterpret_cast<decltype(clock_)>(dlsym(lib, "nvmlDeviceGetClockInfo"));
    nvml->utilization_ =
        reinterpret_cast<decltype(utilization_)>(dlsym(lib, "nvmlDeviceGetUtilizationRates"));
    if (!init || !nvml->by_pci_ || !nvml->temperature_ || !nvml->power_ || !nvml->clock_ ||
        !nvml->utilization_ || init() != 0) {
      LOG(WARNING) << "NVML present but unusable: no GPU telemetry";
      return nullptr;
    }
    return nvml.release();  // Lives for the process.
  }

  int (*by_pci_)(const char*, Device*) = nullptr;
  int (*temperature_)(Device, int, unsigned int*) = nullptr;
  int (*power_)(Device, unsigned int*) = nullptr;
  int (*clock_)(Device, int, unsigned int*) = nullptr;
  int (*utilization_)(Device, Utilization*) = nullptr;
};

// A scanner's options with `abort` wired in, so that Recover() can end a hung wait.
kernels::GpuScanner::Options ScannerOptions(const std::atomic<bool>* abort) {
  kernels::GpuScanner::Options o;
  o.abort = abort;
  return o;
}

class CudaDevice final : public Device {
 public:
  // `scanner` must have been created with ScannerOptions(abort).
  CudaDevice(std::unique_ptr<kernels::GpuScanner> scanner, std::unique_ptr<std::atomic<bool>> abort)
      : ordinal_(scanner->Info().ordinal), abort_(std::move(abort)), scanner_(std::move(scanner)) {
    const kernels::GpuInfo& gi = scanner_->Info();
    info_.name = absl::StrCat("cuda", gi.ordinal);
    info_.kind = DeviceKind::kCuda;
    info_.impl = absl::StrCat(gi.name, " sha256d/m", scanner_->Tuning().add_mode, "/m",
                              scanner_->Tuning().rolling_add_mode);
    for (int g = 1; g < static_cast<int>(wave_nonces_.size()); g *= 2) {
      wave_nonces_[g] = scanner_->WaveNonces(g);
    }
    if (Nvml* nvml = Nvml::Get(); nvml != nullptr && !gi.pci_bus_id.empty()) {
      nvml_device_ = nvml->ByPciBusId(gi.pci_bus_id);
    }
  }

  const DeviceInfo& Info() const override { return info_; }

  absl::StatusOr<uint64_t> Scan(std::span<const hash::ScanWork> works, uint32_t start,
                                uint64_t count, const std::atomic<bool>* cancel,
                                std::vector<FoundNonce>* found) override {
    if (needs_reset_) RETURN_IF_ERROR(ResetAndTest());
    absl::StatusOr<uint64_t> hashes = ScanOnGpu(works, start, count, cancel, found);
    if (!hashes.ok() && abort_->load()) {
      // Recover() abandoned a hung launch: reset now, report this batch as failed.
      needs_reset_ = true;
      absl::Status reset = ResetAndTest();
      return absl::AbortedError(
          absl::StrCat(info_.name, ": hung launch abandoned; reset: ",
                       reset.ok() ? "OK, self-test passed" : reset.ToString()));
    }
    return hashes;
  }

  // Ends a hung Scan's wait (thread-safe, does not block); that Scan then resets the GPU.
  absl::Status Recover() override {
    abort_->store(true);
    return absl::OkStatus();
  }

 private:
  absl::StatusOr<uint64_t> ScanOnGpu(std::span<const hash::ScanWork> works, uint32_t start,
                                     uint64_t count, const std::atomic<bool>* cancel,
                                     std::vector<FoundNonce>* found) {
    gpu_works_.resize(works.size());
    for (size_t i = 0; i < works.size(); ++i) {
      gpu_works_[i].midstate = works[i].midstate;
      gpu_works_[i].tail = works[i].tail;
      gpu_works_[i].target = works[i].target;
    }
    candidates_.clear();
    ASSIGN_OR_RETURN(uint64_t hashes,
                     scanner_->Scan(gpu_works_, start, count, cancel, &candidates_));
    // The kernel compares the top word only: the full 256-bit check happens here.
    for (const kernels::GpuCandidate& c : candidates_) {
      const hash::ScanWork& w = works[c.work_index];
      if (hash::MeetsTarget(hash::HashNonce(w, c.nonce), w.target)) {
        found->push_back({c.work_index, c.nonce});
      }
    }
    return hashes;
  }

  // Resets the GPU into a fresh context, makes a new scanner and checks it against the CPU
  // reference. Until that succeeds every Scan tries again (and fails: the scheduler disables
  // the device after a few, and the watchdog then calls it lost).
  absl::Status ResetAndTest() {
    // Its handles die with the context: the old scanner is leaked, never destroyed (its
    // destructor would wait on the hung stream).
    (void)scanner_.release();
    abort_->store(false);
    RETURN_IF_ERROR(kernels::ResetGpu(ordinal_));
    ASSIGN_OR_RETURN(std::unique_ptr<kernels::GpuScanner> fresh,
                     kernels::GpuScanner::Create(ordinal_, ScannerOptions(abort_.get())));
    scanner_ = std::move(fresh);
    RETURN_IF_ERROR(SelfTest());
    needs_reset_ = false;
    LOG(WARNING) << info_.name << ": reset into a fresh context; self-test passed";
    return absl::OkStatus();
  }

  // Hashes 2^16 nonces of a fixed work at an easy target (about 256 found) and compares the
  // found set with the CPU reference.
  absl::Status SelfTest() {
    hash::ScanWork work;
    for (int i = 0; i < 8; ++i) work.midstate[i] = 0x6a09e667u * (i + 1) + 0x9e3779b9u;
    for (int i = 0; i < 12; ++i) work.tail[i] = static_cast<uint8_t>(17 * i + 3);
    work.target.fill(0xffffffff);
    work.target[7] = 0x00ffffff;
    constexpr uint32_t kCount = 1 << 16;
    std::vector<FoundNonce> got;
    std::atomic<bool> no_cancel{false};
    ASSIGN_OR_RETURN(uint64_t hashes, ScanOnGpu({&work, 1}, 0, kCount, &no_cancel, &got));
    std::set<uint32_t> want, have;
    for (uint32_t n = 0; n < kCount; ++n) {
      if (hash::MeetsTarget(hash::HashNonce(work, n), work.target)) want.insert(n);
    }
    for (const FoundNonce& f : got) have.insert(f.nonce);
    if (hashes != kCount || have != want) {
      return absl::DataLossError(absl::StrCat(info_.name, " self-test: ", have.size(),
                                              " nonces found, the CPU reference finds ",
                                              want.size()));
    }
    return absl::OkStatus();
  }

 public:
  int MaxWorksPerScan() const override { return scanner_->Tuning().max_mids; }

  uint64_t ScanMultiple(int works) const override {
    return works > 0 && works < static_cast<int>(wave_nonces_.size()) && wave_nonces_[works] > 0
               ? wave_nonces_[works]
               : 1;
  }

  DeviceTelemetry Telemetry() const override {
    if (nvml_device_ == nullptr) return {};
    return Nvml::Get()->Read(nvml_device_);
  }

 private:
  // Constant after construction.
  DeviceInfo info_;
  std::array<uint64_t, 9> wave_nonces_{};  // By works per Scan (1, 2, 4, 8).
  Nvml::Device nvml_device_ = nullptr;
  const int ordinal_;
  const std::unique_ptr<std::atomic<bool>> abort_;  // Set by Recover(); read by the scanner.
  // Touched by the driving thread only.
  std::unique_ptr<kernels::GpuScanner> scanner_;
  bool needs_reset_ = false;
  std::vector<kernels::GpuWork> gpu_works_;
  std::vector<kernels::GpuCandidate> candidates_;
};

// Parses "all" or "0,1" against `count` GPUs; returns the ordinals.
absl::StatusOr<std::vector<int>> ParseOrdinals(const std::string& selection, int count) {
  std::vector<int> ordinals;
  if (selection == "all") {
    for (int i = 0; i < count; ++i) ordinals.push_back(i);
    return ordinals;
  }
  std::set<int> seen;
  for (absl::string_view part : absl::StrSplit(selection, ',')) {
    int ordinal = -1;
    if (!absl::SimpleAtoi(part, &ordinal) || ordinal < 0 || ordinal > 1023) {
      return absl::InvalidArgumentError(absl::StrCat("CUDA device selection '", selection,
                                                     "': want 'all' or ordinals like '0,1'"));
    }
    if (!seen.insert(ordinal).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("CUDA device selection '", selection, "' names ", ordinal, " twice"));
    }
    ordinals.push_back(ordinal);
  }
  for (int ordinal : ordinals) {
    if (ordinal >= count) {
      return absl::NotFoundError(
          absl::StrCat("CUDA device ", ordinal, " does not exist (", count, " GPUs found)"));
    }
  }
  return ordinals;
}

}  // namespace

absl::StatusOr<std::vector<std::unique_ptr<Device>>> CreateCudaDevices(std::string_view selection) {
  ASSIGN_OR_RETURN(int count, kernels::CountGpus());
  ASSIGN_OR_RETURN(std::vector<int> ordinals, ParseOrdinals(std::string(selection), count));
  std::vector<std::unique_ptr<Device>> devices;
  for (int ordinal : ordinals) {
    auto abort = std::make_unique<std::atomic<bool>>(false);
    ASSIGN_OR_RETURN(std::unique_ptr<kernels::GpuScanner> scanner,
                     kernels::GpuScanner::Create(ordinal, ScannerOptions(abort.get())));
    auto device = std::make_unique<CudaDevice>(std::move(scanner), std::move(abort));
    LOG(INFO) << "GPU " << device->Info().name << ": " << device->Info().impl;
    devices.push_back(std::move(device));
  }
  return devices;
}

}  // namespace synth::worker
