// File: kernels/sha256d_kernel.h
//
// Layer 2 of the CUDA hash core: the sha256d search kernel's launch interface (implemented in
// sha256d_kernel.cu) and the host-side precomputation it needs. Only the host wrapper
// (gpu_scanner.cc) and GPU tests include this header; it exposes CUDA runtime types.
//
//   LaunchArgs args{};
//   PrecomputeTail(tail_words, &args.tail);
//   PrecomputeMidstate(midstate, tail_words, &args.mids[0]);
//   args.nmids = 1; args.start = 0; args.count = 1 << 24; args.target7 = 0;
//   args.npt = 16; args.ring = dev_ring; args.capacity = 1024;
//   cudaError_t err = LaunchSha256dScan(args, /*threads=*/256, /*add_mode=*/1, stream);
//
// The kernel hashes nonces [start, start + count) for each of the nmids midstates (which share
// the header's 12 tail bytes) and appends (nonce, midstate index) to the ring for every nonce
// whose hash's most significant word (Target256 word 7) is <= target7: a superset of the
// nonces meeting the full target, which the caller re-checks on the host. ring[0] counts
// candidates (it may exceed `capacity`: then entries past capacity were dropped and the caller
// must rescan that range in smaller launches); entry i is ring[1 + 2i] = nonce, ring[2 + 2i] =
// midstate index. The caller zeroes ring[0] before the launch.
//
// Thread-safety: LaunchSha256dScan may be called from any thread for its own stream.
#ifndef SYNTH_KERNELS_SHA256D_KERNEL_H_
#define SYNTH_KERNELS_SHA256D_KERNEL_H_

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/sha256_device.cuh"

namespace synth::kernels {

inline constexpr int kMaxMids = 8;  // Midstates per launch (version rolling).
inline constexpr int kMaxThreadsPerBlock = 512;

struct LaunchArgs {
  MidstatePre mids[kMaxMids];
  TailPre tail;
  uint32_t nmids;     // 1, 2, 4 or 8.
  uint32_t start;     // First nonce.
  uint32_t count;     // Nonces in this launch, 1..2^31.
  uint32_t npt;       // Nonces per thread (loop count), >= 1.
  uint32_t target7;   // Target256 word 7: candidate when hash word 7 <= target7.
  Opaque q;           // Filled by LaunchSha256dScan (1 and powers of two).
  uint32_t capacity;  // Ring entries.
  uint32_t* ring;     // Device memory: 1 + 2 * capacity words.
};

// Fills `pre` for `midstate` (SHA-256 state after header bytes 0..63) and the second block's
// words W0..W2 (`tail_words`, the tail bytes read big-endian).
void PrecomputeMidstate(const uint32_t midstate[8], const uint32_t tail_words[3], MidstatePre* pre);

// Fills the schedule words of the second block that depend on the tail only.
void PrecomputeTail(const uint32_t tail_words[3], TailPre* tail);

// Returns true when this build holds machine code for launches of (add_mode, nmids, npt) on
// compute capability `cc` (major*10+minor): npt 1 runs the kernel without the per-thread loop, npt > 1 the
// looped one; off sm_90 only the tuning table's defaults are compiled.
bool VariantAvailable(int cc, int add_mode, int nmids, uint32_t npt);

// Returns how many blocks of `threads` of the (nmids, add_mode, npt) kernel one multiprocessor
// of the current device runs at once (0 on error); the feeder sizes launches in whole waves
// with it.
int BlocksPerSm(int nmids, int threads, int add_mode, uint32_t npt);

// Returns the largest block the kernel of `nmids` midstates takes (512, or 256 for 8).
int MaxThreadsPerBlock(int nmids);

// Enqueues one search launch on `stream`. cudaErrorInvalidValue for bad arguments (nmids not
// 1/2/4/8, count 0 or > 2^31, threads not a multiple of 32 in 32..512 (..256 for
// 8 midstates), add_mode not 0..9 or 13). A launch of a variant that VariantAvailable denies traps.
cudaError_t LaunchSha256dScan(const LaunchArgs& args, int threads, int add_mode,
                              cudaStream_t stream);

}  // namespace synth::kernels

#endif  // SYNTH_KERNELS_SHA256D_KERNEL_H_
