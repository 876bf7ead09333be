#include "worker/devices/registry.h"

#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/hash/dispatch.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "worker/devices/cpu_device.h"
#ifdef SYNTH_HAVE_CUDA
#include "worker/devices/cuda_device.h"
#endif

namespace synth::worker {
namespace {

constexpr int kMaxThreads = 1024;

// Debian's Abseil has its own string_view type.
absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status BadSpec(std::string_view spec, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("--devices='", std::string(spec),
                                                 "': ", std::string(why),
                                                 " (want cpu, cuda, all, cuda:0,1 or cpu,cuda:0)"));
}

// Checks "0,1,3": non-empty, comma-separated non-negative integers.
bool ValidOrdinals(std::string_view list) {
  if (list.empty()) return false;
  for (absl::string_view part : absl::StrSplit(Absl(list), ',')) {
    uint32_t ordinal;
    if (part.empty() || !absl::SimpleAtoi(part, &ordinal)) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<DeviceSelection> ParseDeviceSelection(std::string_view spec) {
  DeviceSelection sel;
  absl::string_view stripped = absl::StripAsciiWhitespace(Absl(spec));
  std::string_view rest(stripped.data(), stripped.size());
  if (rest == "all") return DeviceSelection{true, true, "all", false};
  if (rest.substr(0, 4) == "cpu,") {
    sel.cpu = true;
    rest.remove_prefix(4);
  }
  if (rest == "cpu" && !sel.cpu) {
    sel.cpu = true;
  } else if (rest == "cuda") {
    sel.cuda = true;
    sel.cuda_required = true;
  } else if (rest.substr(0, 5) == "cuda:") {
    if (!ValidOrdinals(rest.substr(5))) return BadSpec(spec, "bad GPU ordinal list");
    sel.cuda = true;
    sel.cuda_required = true;
    sel.cuda_ordinals = std::string(rest.substr(5));
  } else {
    return BadSpec(spec, "unknown device kind");
  }
  return sel;
}

int ResolveThreads(int threads) {
  if (threads > 0) return threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<std::unique_ptr<Device>> CreateCpuDevices(const hash::HashCore* core, int threads) {
  std::vector<std::unique_ptr<Device>> devices;
  for (int i = 0; i < threads; ++i) {
    devices.push_back(std::make_unique<CpuDevice>(absl::StrCat("cpu", i), core));
  }
  return devices;
}

absl::StatusOr<std::vector<std::unique_ptr<Device>>> CreateGpuDevices(std::string_view ordinals,
                                                                      bool required) {
  const google::LogSeverity severity = required ? google::GLOG_WARNING : google::GLOG_INFO;
#ifdef SYNTH_HAVE_CUDA
  ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Device>> gpus, CreateCudaDevices(ordinals));
  if (gpus.empty()) LOG_AT_LEVEL(severity) << "no CUDA GPU found: hashing on CPU only";
  return gpus;
#else
  LOG_AT_LEVEL(severity) << "this synth-worker was built without CUDA (devices " << ordinals
                         << "): hashing on CPU only";
  return std::vector<std::unique_ptr<Device>>{};
#endif
}

absl::StatusOr<std::vector<std::unique_ptr<Device>>> CreateDevices(const DeviceOptions& options) {
  ASSIGN_OR_RETURN(DeviceSelection sel, ParseDeviceSelection(options.devices));
  if (options.threads < 0 || options.threads > kMaxThreads) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads=", options.threads, ": want 0 (all CPUs) to ", kMaxThreads));
  }
  std::vector<std::unique_ptr<Device>> gpus;
  if (sel.cuda) {
    ASSIGN_OR_RETURN(gpus, CreateGpuDevices(sel.cuda_ordinals, sel.cuda_required));
  }
  // No GPU after all: fall back to the CPU rather than hash on nothing.
  const bool cpu = sel.cpu || gpus.empty();
  std::vector<std::unique_ptr<Device>> devices;
  if (cpu) {
    ASSIGN_OR_RETURN(const hash::HashCore* core, hash::SelectCore(options.hash_core));
    devices = CreateCpuDevices(core, ResolveThreads(options.threads));
  }
  for (auto& gpu : gpus) devices.push_back(std::move(gpu));
  for (const auto& d : devices) {
    LOG(INFO) << "device " << d->Info().name << ": " << DeviceKindName(d->Info().kind) << " "
              << d->Info().impl;
  }
  return devices;
}

}  // namespace synth::worker
