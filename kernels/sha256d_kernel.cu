// Layer 2 of the CUDA hash core: the sha256d search kernel, its launch function and the host
// precomputation (see sha256d_kernel.h). No Abseil or gRPC here.
#include <cuda_runtime.h>

#include "kernels/sha256_device.cuh"
#include "kernels/sha256_rounds.cuh"
#include "kernels/sha256d_kernel.h"

namespace synth::kernels {
namespace {

// The defaults (kernels/tuning.cc), compiled for every architecture: mode 13 for one midstate
// (npt nonces per thread in a loop), mode 6 for several midstates with one nonce per thread.
// With the loop, ptxas keeps the midstates' nonce-independent values live across iterations
// and 2..4 midstates spill at the 128-register cap; without it 4 midstates fit in 64 registers.
constexpr int kDefaultAddMode = 13;
constexpr int kDefaultRollingAddMode = 6;

// Which (arch, add mode, midstates, loop) get a kernel body. On sm_90 (the bench compares them
// there): the looped kernel in modes 0..6, with modes 1, 4 and 5 (measured losers, kept for the
// record) for one midstate only and mode 6 for up to four; one nonce per thread in modes 2 and
// 6 (and the losers 7, 8 for 1 and 4 midstates); mode 9 for one midstate, mode 13 for one
// (both shapes) and, one nonce per thread, two and four. Elsewhere the defaults: one midstate
// looped and one nonce per thread (the rescan of an overflowed launch runs one nonce per
// thread), several one nonce per thread. Keeps the build at one ptxas pass per architecture
// and variant used.
__host__ __device__ constexpr bool BodyCompiled(int arch, int add_mode, int mids, bool loop) {
  if (arch != 900) {
    return mids == 1 ? add_mode == kDefaultAddMode : !loop && add_mode == kDefaultRollingAddMode;
  }
  if (add_mode == 9) return mids == 1;
  if (add_mode == 13) return mids == 1 || (!loop && mids <= 4);
  if (!loop) {
    return add_mode == 2 || add_mode == 6 || (add_mode >= 7 && (mids == 1 || mids == 4));
  }
  if (add_mode >= 7) return false;
  const bool loser = add_mode == 1 || add_mode == 4 || add_mode == 5;
  return loser ? mids == 1 : add_mode != 6 || mids <= 4;
}

// Eight interleaved midstates need more than the 128 registers that 512-thread blocks allow.
constexpr int MaxThreads(int mids) { return mids >= 8 ? 256 : kMaxThreadsPerBlock; }
// Two blocks per SM for 8 midstates: a 128-register cap (some spills) instead of ~200
// registers at one block per SM, which halved the rate.
// Modes 7 and 8 with one midstate: two 512-thread blocks (64 registers), else ptxas holds the
// per-round multipliers in registers (109 with mode 7).
constexpr int MinBlocks(int mids, int add_mode) {
  return mids >= 8 || (mids == 1 && (add_mode == 7 || add_mode == 8)) ? 2 : 0;  // 0: none.
}

// One nonce: the first hash of every midstate from one message schedule, then each second hash
// up to the early-exit word, its candidate appended to the ring. The check after each second
// hash ends a basic block, so ptxas runs the second hashes one after another (interleaving
// them took 128 registers instead of 64 for 4 midstates, and lost 12%).
template <int kMids, int kAddMode>
__device__ __forceinline__ void ScanNonce(const LaunchArgs& a, uint32_t nonce, uint32_t onev) {
  uint32_t d[kMids][8];
  FirstHash<kMids, kAddMode>(a.mids, a.tail, Bswap32(nonce), a.q, onev, d);
#pragma unroll
  for (int m = 0; m < kMids; ++m) {
    const uint32_t h7 = SecondHashH7<kAddMode>(d[m], a.q, onev);
    if (Bswap32(h7) <= a.target7) {
      const uint32_t slot = atomicAdd(a.ring, 1u);
      if (slot < a.capacity) {
        a.ring[1 + 2 * slot] = nonce;
        a.ring[2 + 2 * slot] = m;
      }
    }
  }
}

// kLoop: each thread hashes a.npt nonces, a block covering blockDim.x * npt consecutive ones;
// otherwise one nonce per thread (a.npt is 1).
template <int kMids, int kAddMode, bool kLoop>
__global__ void __launch_bounds__(MaxThreads(kMids), MinBlocks(kMids, kAddMode))
    Sha256dScanKernel(const __grid_constant__ LaunchArgs a) {
#if defined(__CUDA_ARCH__)
  if constexpr (BodyCompiled(__CUDA_ARCH__, kAddMode, kMids, kLoop)) {
    const uint32_t onev = RegisterOneConsts(kAddMode) ? RegisterOne(a.q) : 1;
    if constexpr (kLoop) {
      uint32_t off = blockIdx.x * blockDim.x * a.npt + threadIdx.x;
      for (uint32_t i = 0; i < a.npt; ++i, off += blockDim.x) {
        if (off >= a.count) return;
        ScanNonce<kMids, kAddMode>(a, a.start + off, onev);
      }
    } else {
      const uint32_t off = blockIdx.x * blockDim.x + threadIdx.x;
      if (off < a.count) ScanNonce<kMids, kAddMode>(a, a.start + off, onev);
    }
  } else {
    __trap();
  }
#endif
}

using KernelFn = void (*)(const LaunchArgs);

template <int kMids, bool kLoop>
KernelFn KernelForMode(int add_mode) {
  switch (add_mode) {
    case 0:
      return Sha256dScanKernel<kMids, 0, kLoop>;
    case 1:
      return Sha256dScanKernel<kMids, 1, kLoop>;
    case 2:
      return Sha256dScanKernel<kMids, 2, kLoop>;
    case 3:
      return Sha256dScanKernel<kMids, 3, kLoop>;
    case 4:
      return Sha256dScanKernel<kMids, 4, kLoop>;
    case 5:
      return Sha256dScanKernel<kMids, 5, kLoop>;
    case 6:
      return Sha256dScanKernel<kMids, 6, kLoop>;
    case 7:
      return Sha256dScanKernel<kMids, 7, kLoop>;
    case 8:
      return Sha256dScanKernel<kMids, 8, kLoop>;
    case 9:
      return Sha256dScanKernel<kMids, 9, kLoop>;
    case 13:
      return Sha256dScanKernel<kMids, 13, kLoop>;
    default:
      return nullptr;
  }
}

template <bool kLoop>
KernelFn KernelForMids(int nmids, int add_mode) {
  switch (nmids) {
    case 1:
      return KernelForMode<1, kLoop>(add_mode);
    case 2:
      return KernelForMode<2, kLoop>(add_mode);
    case 4:
      return KernelForMode<4, kLoop>(add_mode);
    case 8:
      return KernelForMode<8, kLoop>(add_mode);
    default:
      return nullptr;
  }
}

// The kernel for a launch of `npt` nonces per thread (the looped one unless npt is 1).
KernelFn KernelFor(int nmids, int add_mode, uint32_t npt) {
  return npt > 1 ? KernelForMids<true>(nmids, add_mode) : KernelForMids<false>(nmids, add_mode);
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

bool VariantAvailable(int cc, int add_mode, int nmids, uint32_t npt) {
  return KernelFor(nmids, add_mode, npt) != nullptr &&
         BodyCompiled(cc * 10, add_mode, nmids, npt > 1);
}

int BlocksPerSm(int nmids, int threads, int add_mode, uint32_t npt) {
  const KernelFn fn = KernelFor(nmids, add_mode, npt);
  int blocks = 0;
  if (fn == nullptr ||
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, fn, threads, 0) != cudaSuccess) {
    return 0;
  }
  return blocks;
}

int MaxThreadsPerBlock(int nmids) { return MaxThreads(nmids); }

cudaError_t LaunchSha256dScan(const LaunchArgs& in, int threads, int add_mode,
                              cudaStream_t stream) {
  LaunchArgs args = in;
  args.q.one = 1;
  for (int k = 0; k < 32; ++k) args.q.pow2[k] = 1u << k;
  for (uint32_t& one : args.q.ones) one = 1;
  for (uint32_t& p : args.q.shr3) p = 1u << 29;
  for (uint32_t& p : args.q.shr10) p = 1u << 22;
  if (args.count == 0 || args.count > (1u << 31) || args.npt == 0 || args.ring == nullptr ||
      threads < 32 || threads > kMaxThreadsPerBlock || threads % 32 != 0) {
    return cudaErrorInvalidValue;
  }
  const KernelFn fn = KernelFor(static_cast<int>(args.nmids), add_mode, args.npt);
  if (fn == nullptr || threads > MaxThreads(static_cast<int>(args.nmids))) {
    return cudaErrorInvalidValue;
  }
  const uint64_t per_block = uint64_t{static_cast<uint32_t>(threads)} * args.npt;
  const uint64_t blocks = (args.count + per_block - 1) / per_block;
  if (blocks > 0x7fffffffu) return cudaErrorInvalidValue;
  void* params[] = {&args};
  const cudaError_t err = cudaLaunchKernel(reinterpret_cast<const void*>(fn),
                                           dim3(static_cast<unsigned>(blocks)), dim3(threads),
                                           params, 0, stream);
  return err != cudaSuccess ? err : cudaGetLastError();
}

}  // namespace synth::kernels
