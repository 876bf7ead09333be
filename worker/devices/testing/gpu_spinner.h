// File: worker/devices/testing/gpu_spinner.h
//
// Test-only: makes a GPU hang for the watchdog's GPU test (cuda_hang_test.cc). It fills every
// multiprocessor of GPU `ordinal` with a kernel that spins until `*stop` (host memory mapped
// into the GPU) becomes non-zero or the GPU is reset, so that no later launch can start.
//
//   volatile int* stop = nullptr;
//   ASSERT_EQ(StartGpuSpinner(0, &stop), 0);
//   ... a Scan now hangs ...
//   *stop = 1;   // if the GPU was not reset meanwhile
//
// No CUDA types: the CUDA error comes back as an int (0 = cudaSuccess).
#ifndef SYNTH_WORKER_DEVICES_TESTING_GPU_SPINNER_H_
#define SYNTH_WORKER_DEVICES_TESTING_GPU_SPINNER_H_

namespace synth::worker::testing {

int StartGpuSpinner(int ordinal, volatile int** stop);

}  // namespace synth::worker::testing

#endif  // SYNTH_WORKER_DEVICES_TESTING_GPU_SPINNER_H_
