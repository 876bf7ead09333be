// File: worker/devices/registry.h
//
// Builds the worker's device list from its flags: which kinds (--devices), how many CPU hashing
// threads (--threads) and which CPU hash core (--hash-core).
//
//   DeviceOptions options{.devices = "all", .threads = 2, .hash_core = "auto"};
//   ASSIGN_OR_RETURN(std::vector<std::unique_ptr<Device>> devices, CreateDevices(options));
//
// --devices grammar: "cpu" | "cuda" | "all" (cpu and every GPU) | "cuda:0,1" (those GPUs) |
// "cpu,cuda:0,1" (CPU plus those GPUs). When CUDA is asked for but this build has no CUDA, or
// the machine has no GPU, CreateDevices logs that clearly and returns CPU devices only; naming a
// GPU ordinal that does not exist is an error.
//
// Thread-safe: pure functions (the CUDA factory and the dispatcher are thread-safe).
#ifndef SYNTH_WORKER_DEVICES_REGISTRY_H_
#define SYNTH_WORKER_DEVICES_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/devices/device.h"

namespace synth::worker {

struct DeviceOptions {
  std::string devices = "all";     // See the grammar above.
  int threads = 0;                 // CPU hashing threads; 0 = one per online CPU.
  std::string hash_core = "auto";  // CPU hash core name, or "auto"/"" for the dispatcher's pick.
};

// The parsed form of DeviceOptions::devices.
struct DeviceSelection {
  bool cpu = false;
  bool cuda = false;
  std::string cuda_ordinals = "all";  // "all" or a comma-separated list ("0,1").
  bool cuda_required = false;         // The user named CUDA ("cuda", "cuda:N"), not just "all".
};

// Parses a --devices value. InvalidArgument (naming the value) on anything else.
absl::StatusOr<DeviceSelection> ParseDeviceSelection(std::string_view spec);

// Returns the number of CPU hashing threads for `threads` (0 = online CPUs, at least 1).
int ResolveThreads(int threads);

// Returns the devices: "cpu0".."cpuN-1" over the selected core, then the CUDA devices.
// Errors: bad --devices or --threads (InvalidArgument), a --hash-core this CPU cannot run (see
// hash::SelectCore), a named GPU that does not exist (from CreateCudaDevices).
absl::StatusOr<std::vector<std::unique_ptr<Device>>> CreateDevices(const DeviceOptions& options);

// Returns `threads` CPU devices over `core` ("cpu0", ...). `core` must be static.
std::vector<std::unique_ptr<Device>> CreateCpuDevices(const hash::HashCore* core, int threads);

// Returns the CUDA devices for `ordinals` ("all" or "0,1"), or none (with a log line: a warning
// when `required`, info otherwise) when the build has no CUDA or the machine has no GPU.
absl::StatusOr<std::vector<std::unique_ptr<Device>>> CreateGpuDevices(std::string_view ordinals,
                                                                      bool required);

}  // namespace synth::worker

#endif  // SYNTH_WORKER_DEVICES_REGISTRY_H_
