#include "worker/devices/testing/gpu_spinner.h"

#include <cuda_runtime_api.h>

namespace synth::worker::testing {
namespace {

__global__ void SpinUntilStopped(volatile int* stop) {
  while (*stop == 0) __nanosleep(1000);
}

}  // namespace

int StartGpuSpinner(int ordinal, volatile int** stop) {
  constexpr int kThreads = 1024;
  cudaError_t err = cudaSetDevice(ordinal);
  int* host = nullptr;
  if (err == cudaSuccess) err = cudaHostAlloc(&host, sizeof(int), cudaHostAllocMapped);
  if (err != cudaSuccess) return err;
  *host = 0;
  int* dev = nullptr;
  err = cudaHostGetDevicePointer(&dev, host, 0);
  cudaDeviceProp prop{};
  if (err == cudaSuccess) err = cudaGetDeviceProperties(&prop, ordinal);
  int per_sm = 0;
  if (err == cudaSuccess) {
    err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, SpinUntilStopped, kThreads, 0);
  }
  cudaStream_t stream = nullptr;
  if (err == cudaSuccess) err = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  if (err != cudaSuccess) return err;
  SpinUntilStopped<<<prop.multiProcessorCount * per_sm, kThreads, 0, stream>>>(dev);
  *stop = host;
  return cudaGetLastError();
}

}  // namespace synth::worker::testing
