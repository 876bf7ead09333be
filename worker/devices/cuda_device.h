// File: worker/devices/cuda_device.h
//
// Factory for CUDA GPU devices (implemented in cuda_device.cc when the build has CUDA; the
// worker's device registry calls it only when SYNTH_HAVE_CUDA is defined).
//
//   ASSIGN_OR_RETURN(auto gpus, CreateCudaDevices("all"));   // or "0,1"
#ifndef SYNTH_WORKER_DEVICES_CUDA_DEVICE_H_
#define SYNTH_WORKER_DEVICES_CUDA_DEVICE_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/devices/device.h"

namespace synth::worker {

// Returns one Device per selected GPU. `selection` is "all" or a comma-separated list of CUDA
// device ordinals ("0,1"). With "all" and no GPU or no driver, returns an empty vector (the
// caller logs that it runs CPU-only); naming an ordinal that does not exist is an error.
absl::StatusOr<std::vector<std::unique_ptr<Device>>> CreateCudaDevices(std::string_view selection);

}  // namespace synth::worker

#endif  // SYNTH_WORKER_DEVICES_CUDA_DEVICE_H_
