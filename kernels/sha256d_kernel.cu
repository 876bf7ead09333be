// Layer 2 of the CUDA hash core: the sha256d search kernel, its launch function and the host
// precomputation (see sha256d_kernel.h). No Abseil or gRPC here.
#include <cuda_runtime.h>

#include "kernels/sha256_device.cuh"
#include "kernels/sha256_rounds.cuh"
#include "kernels/sha256d_kernel.h"

namespace synth::kernels {
namespace {

// The defaults (kernels/tuning.cc), compiled for every architecture: mode 6 for one midstate,
// mode 2 for several (mode 6 with 2..4 midstates spills at the 128-register cap).
constexpr int kDefaultAddMode = 6;
constexpr int kDefaultRollingAddMode = 2;
constexpr int kMaxAddMode = 6;

// Which (arch, add mode, midstates) get a kernel body: on sm_90 (and its PTX) every mode, with
// modes 1, 4 and 5 (measured losers, kept for the record) for one midstate only; elsewhere the
// defaults. Keeps the build at one ptxas pass per architecture and variant used.
__host__ __device__ constexpr bool BodyCompiled(int arch, int add_mode) {
  return arch == 900 || add_mode == kDefaultAddMode || add_mode == kDefaultRollingAddMode;
}
__host__ __device__ constexpr bool BodyCompiled(int arch, int add_mode, int mids) {
  if (arch != 900) {
    return add_mode == kDefaultAddMode ? mids == 1 : add_mode == kDefaultRollingAddMode;
  }
  const bool loser = add_mode == 1 || add_mode == 4 || add_mode == 5;
  return loser ? mids == 1 : add_mode != 6 || mids <= 4;
}

// Eight interleaved midstates need more than the 128 registers that 512-thread blocks allow.
constexpr int MaxThreads(int mids) { return mids >= 8 ? 256 : kMaxThreadsPerBlock; }
// Two blocks per SM for 8 midstates: a 128-register cap (some spills) instead of ~200
// registers at one block per SM, which halved the rate.
constexpr int MinBlocks(int mids) { return mids >= 8 ? 2 : 0; }  // 0: no minimum.

template <int kMids, int kAddMode>
__global__ void __launch_bounds__(MaxThreads(kMids), MinBlocks(kMids))
    Sha256dScanKernel(const __grid_constant__ LaunchArgs a) {
#if defined(__CUDA_ARCH__)
  if constexpr (BodyCompiled(__CUDA_ARCH__, kAddMode, kMids)) {
    uint32_t off = blockIdx.x * blockDim.x * a.npt + threadIdx.x;
    for (uint32_t i = 0; i < a.npt; ++i, off += blockDim.x) {
      if (off >= a.count) return;
      const uint32_t nonce = a.start + off;
      uint32_t d[kMids][8];
      FirstHash<kMids, kAddMode>(a.mids, a.tail, Bswap32(nonce), a.q, d);
#pragma unroll
      for (int m = 0; m < kMids; ++m) {
        const uint32_t h7 = SecondHashH7<kAddMode>(d[m], a.q);
        if (Bswap32(h7) <= a.target7) {
          const uint32_t slot = atomicAdd(a.ring, 1u);
          if (slot < a.capacity) {
            a.ring[1 + 2 * slot] = nonce;
            a.ring[2 + 2 * slot] = m;
          }
        }
      }
    }
  } else {
    __trap();
  }
#endif
}

template <int kMids>
cudaError_t LaunchMids(const LaunchArgs& args, dim3 grid, dim3 block, int add_mode,
                       cudaStream_t stream) {
  if (static_cast<int>(block.x) > MaxThreads(kMids)) return cudaErrorInvalidValue;
  switch (add_mode) {
    case 0:
      Sha256dScanKernel<kMids, 0><<<grid, block, 0, stream>>>(args);
      break;
    case 1:
      Sha256dScanKernel<kMids, 1><<<grid, block, 0, stream>>>(args);
      break;
    case 2:
      Sha256dScanKernel<kMids, 2><<<grid, block, 0, stream>>>(args);
      break;
    case 3:
      Sha256dScanKernel<kMids, 3><<<grid, block, 0, stream>>>(args);
      break;
    case 4:
      Sha256dScanKernel<kMids, 4><<<grid, block, 0, stream>>>(args);
      break;
    case 5:
      Sha256dScanKernel<kMids, 5><<<grid, block, 0, stream>>>(args);
      break;
    case 6:
      Sha256dScanKernel<kMids, 6><<<grid, block, 0, stream>>>(args);
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

template <int kMids>
int BlocksPerSmMids(int threads, int add_mode) {
  int blocks = 0;
  cudaError_t err = cudaErrorInvalidValue;
  switch (add_mode) {
    case 0:
      err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, Sha256dScanKernel<kMids, 0>,
                                                          threads, 0);
      break;
    case 1:
      err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, Sha256dScanKernel<kMids, 1>,
                                                          threads, 0);
      break;
    case 2:
      err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, Sha256dScanKernel<kMids, 2>,
                                                          threads, 0);
      break;
    case 3:
      err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, Sha256dScanKernel<kMids, 3>,
                                                          threads, 0);
      break;
    case 4:
      err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, Sha256dScanKernel<kMids, 4>,
                                                          threads, 0);
      break;
    case 5:
      err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, Sha256dScanKernel<kMids, 5>,
                                                          threads, 0);
      break;
    case 6:
      err = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, Sha256dScanKernel<kMids, 6>,
                                                          threads, 0);
      break;
    default:
      break;
  }
  return err == cudaSuccess ? blocks : 0;
}

void HostRound(uint32_t s[8], uint32_t k, uint32_t w) {
  const uint32_t t1 = s[7] + BigSigma1(s[4]) + Ch(s[4], s[5], s[6]) + k + w;
  const uint32_t t2 = BigSigma0(s[0]) + Maj(s[0], s[1], s[2]);
  for (int j = 7; j > 0; --j) s[j] = s[j - 1];
  s[4] += t1;
  s[0] = t1 + t2;
}

}  // namespace

void PrecomputeMidstate(const uint32_t midstate[8], const uint32_t tail_words[3],
                        MidstatePre* pre) {
  uint32_t s[8];
  for (int j = 0; j < 8; ++j) s[j] = pre->mid[j] = midstate[j];
  for (int i = 0; i < 3; ++i) HostRound(s, KConst(i), tail_words[i]);
  HostRound(s, KConst(3), 0);  // The kernel adds W3 to a and e.
  for (int j = 0; j < 8; ++j) pre->s4[j] = s[j];
}

void PrecomputeTail(const uint32_t tail_words[3], TailPre* tail) {
  const uint32_t w0 = tail_words[0], w1 = tail_words[1], w2 = tail_words[2];
  tail->w16 = SmallSigma0(w1) + w0;
  tail->w17 = SmallSigma1(640) + SmallSigma0(w2) + w1;
  tail->w18c = SmallSigma1(tail->w16) + w2;
  tail->w19c = SmallSigma1(tail->w17) + SmallSigma0(0x80000000u);
  tail->w31c = SmallSigma0(tail->w16) + 640;
  tail->w32c = SmallSigma0(tail->w17) + tail->w16;
}

bool AddModeAvailable(int cc, int add_mode) {
  if (add_mode < 0 || add_mode > kMaxAddMode) return false;
  return BodyCompiled(cc * 10, add_mode);
}

int BlocksPerSm(int nmids, int threads, int add_mode) {
  switch (nmids) {
    case 1:
      return BlocksPerSmMids<1>(threads, add_mode);
    case 2:
      return BlocksPerSmMids<2>(threads, add_mode);
    case 4:
      return BlocksPerSmMids<4>(threads, add_mode);
    case 8:
      return BlocksPerSmMids<8>(threads, add_mode);
    default:
      return 0;
  }
}

cudaError_t LaunchSha256dScan(const LaunchArgs& in, int threads, int add_mode,
                              cudaStream_t stream) {
  LaunchArgs args = in;
  args.q.one = 1;
  for (int k = 0; k < 32; ++k) args.q.pow2[k] = 1u << k;
  for (uint32_t& one : args.q.ones) one = 1;
  if (args.count == 0 || args.count > (1u << 31) || args.npt == 0 || args.ring == nullptr ||
      threads < 32 || threads > kMaxThreadsPerBlock || threads % 32 != 0) {
    return cudaErrorInvalidValue;
  }
  const uint64_t per_block = uint64_t{static_cast<uint32_t>(threads)} * args.npt;
  const uint64_t blocks = (args.count + per_block - 1) / per_block;
  if (blocks > 0x7fffffffu) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(blocks)), block(threads);
  switch (args.nmids) {
    case 1:
      return LaunchMids<1>(args, grid, block, add_mode, stream);
    case 2:
      return LaunchMids<2>(args, grid, block, add_mode, stream);
    case 4:
      return LaunchMids<4>(args, grid, block, add_mode, stream);
    case 8:
      return LaunchMids<8>(args, grid, block, add_mode, stream);
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace synth::kernels
