// File: kernels/sha256_device.cuh
//
// Layer 1 of the CUDA hash core, part 1: SHA-256 primitives usable on host and device (the host
// precomputation in sha256d_kernel.cu uses them too) and the per-midstate / per-tail precomputed
// values the kernel consumes. The device-only round code is in kernels/sha256_rounds.cuh.
//
//   uint32_t t = BigSigma1(e) + Ch(e, f, g) + KConst(i) + w;
//
// Thread-safety: pure functions.
#ifndef SYNTH_KERNELS_SHA256_DEVICE_CUH_
#define SYNTH_KERNELS_SHA256_DEVICE_CUH_

#include <cstdint>

#if defined(__CUDACC__)
#define SYNTH_HD __host__ __device__ __forceinline__
#else
#define SYNTH_HD inline
#endif

namespace synth::kernels {

// SHA-256 round constants (FIPS 180-4), as literals so that ptxas folds K + constant W.
#define SYNTH_SHA256_K                                                                      \
  {                                                                                         \
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,     \
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, \
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, \
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, \
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, \
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, \
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, \
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, \
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, \
        0xc67178f2                                                                          \
  }

SYNTH_HD constexpr uint32_t KConst(int i) {
  constexpr uint32_t k[64] = SYNTH_SHA256_K;
  return k[i];
}

SYNTH_HD constexpr uint32_t IvConst(int i) {
  constexpr uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  return iv[i];
}

SYNTH_HD uint32_t Rotr(uint32_t x, int n) {
#if defined(__CUDA_ARCH__)
  return __funnelshift_r(x, x, n);
#else
  return (x >> n) | (x << (32 - n));
#endif
}
SYNTH_HD uint32_t BigSigma0(uint32_t a) { return Rotr(a, 2) ^ Rotr(a, 13) ^ Rotr(a, 22); }
SYNTH_HD uint32_t BigSigma1(uint32_t e) { return Rotr(e, 6) ^ Rotr(e, 11) ^ Rotr(e, 25); }
SYNTH_HD uint32_t SmallSigma0(uint32_t x) { return Rotr(x, 7) ^ Rotr(x, 18) ^ (x >> 3); }
SYNTH_HD uint32_t SmallSigma1(uint32_t x) { return Rotr(x, 17) ^ Rotr(x, 19) ^ (x >> 10); }
SYNTH_HD uint32_t Ch(uint32_t e, uint32_t f, uint32_t g) { return g ^ (e & (f ^ g)); }
SYNTH_HD uint32_t Maj(uint32_t a, uint32_t b, uint32_t c) { return (a & b) | (c & (a | b)); }
SYNTH_HD uint32_t Bswap32(uint32_t x) {
#if defined(__CUDA_ARCH__)
  return __byte_perm(x, 0, 0x0123);
#else
  return __builtin_bswap32(x);
#endif
}

// Kernel-parameter values that ptxas cannot see through: one = ones[i] = 1, pow2[k] = 2^k. Multiplying by
// them keeps additions, shifts and rotations on the FMA pipe (see sha256_rounds.cuh).
struct Opaque {
  uint32_t one;
  uint32_t pow2[32];
  uint32_t ones[64];  // All 1: one per round (add modes 6..9, 13).
  uint32_t shr3[64];  // All 2^29, one per round (add modes 7, 8).
  uint32_t shr10[64]; // All 2^22, one per round (add mode 7).
};

// Per-midstate values of the header's second block (computed on the host, see
// sha256d_kernel.h): the state entering round 4 without W3 (a and e still need + W3), and the
// midstate added at the end.
struct MidstatePre {
  uint32_t s4[8];
  uint32_t mid[8];
};

// Per-tail values shared by every midstate of a launch (the block's fixed schedule words).
struct TailPre {
  uint32_t w16, w17;  // Fixed.
  uint32_t w18c;      // W18 = w18c + sigma0(W3).
  uint32_t w19c;      // W19 = w19c + W3.
  uint32_t w31c;      // W31 = sigma1(W29) + W24 + w31c.
  uint32_t w32c;      // W32 = sigma1(W30) + W25 + w32c.
};

}  // namespace synth::kernels

#endif  // SYNTH_KERNELS_SHA256_DEVICE_CUH_
