// File: kernels/sha256_rounds.cuh
//
// Layer 1 of the CUDA hash core, part 2: the two per-nonce halves of sha256d as __device__
// functions (the rest of the header's second block, then the second hash up to the early-exit
// word). Included by sha256d_kernel.cu only.
//
//   uint32_t out[kMids][8];
//   FirstHash<kMids, kAddMode>(pre, tail, w3, q, out);   // all midstates share the schedule
//   uint32_t h7 = SecondHashH7<kAddMode>(out[m], q);     // final state word 7
//
// Add modes (a tuning knob, kernels/tuning.h): the SM's integer ALU pipe (LOP3, SHF, IADD3, PRMT)
// is the bottleneck; IMAD runs on the separate FMA pipe. An addition written as x * q + y, with
// `q` a kernel parameter that ptxas cannot prove is 1, stays an IMAD (a literal 1 would be
// turned back into IADD3):
//   0: plain additions (ptxas forms IADD3 on the ALU pipe);
//   1: two-input additions (h + K, + W, e = d + T1, W-7 + W-16, feed-forward) as IMAD, with K
//      read from constant memory (kDevKw*) so that no ALU op materializes it;
//   2: as 1, and the three-input sums (T1, a, the schedule) as IMAD chains too;
//   3: as 2, and the small sigmas' plain shifts as IMAD.HI;
//   4: as 3, and two of the three rotations of each big Sigma as IMAD.WIDE halves;
//   5: as 3, and two rotations of Sigma1 only;
//   6: as 2, with a multiplier per round (see BaseMode below): the default;
//   7: as 6, and the small sigmas' plain shifts as IMAD.HI by a per-round 2^29 / 2^22;
//   8: as 7 for sigma0's >> 3 only (half the shifts: balances the two pipes);
//   9: as 6, and every add of a constant (K, K + W, the second hash's IV-folded values, IV[7])
//      as an IMAD by a register-held 1 with the constant as immediate: no LDC of K and no
//      VIADD;
//  13: as 9 with 32 distinct per-round multipliers instead of 64 (ones[i % 32]): fewer
//      uniform registers to reload (ULDC). The default for one midstate.
//
// Thread-safety: pure functions.
#ifndef SYNTH_KERNELS_SHA256_ROUNDS_CUH_
#define SYNTH_KERNELS_SHA256_ROUNDS_CUH_

#include <cstdint>

#include "kernels/sha256_device.cuh"

namespace synth::kernels {

// K[i] + constant W[i] of each block (see sha256_rounds.cuh).
__host__ __device__ constexpr uint32_t KwTable(int block, int i) {
  uint32_t w = 0;
  if (block == 1 && i == 4) w = 0x80000000u;
  if (block == 1 && i == 15) w = 640;
  if (block == 2 && i == 8) w = 0x80000000u;
  if (block == 2 && i == 15) w = 256;
  const bool fixed = block == 1 ? (i >= 4 && i < 16) : (i >= 8 && i < 16);
  return KConst(i) + (fixed ? w : 0);
}

#define SYNTH_KW_ROW(b, r)                                                                   \
  KwTable(b, r), KwTable(b, r + 1), KwTable(b, r + 2), KwTable(b, r + 3), KwTable(b, r + 4), \
      KwTable(b, r + 5), KwTable(b, r + 6), KwTable(b, r + 7)
#define SYNTH_KW_TABLE(b)                                                                  \
  {                                                                                        \
    SYNTH_KW_ROW(b, 0), SYNTH_KW_ROW(b, 8), SYNTH_KW_ROW(b, 16), SYNTH_KW_ROW(b, 24),      \
        SYNTH_KW_ROW(b, 32), SYNTH_KW_ROW(b, 40), SYNTH_KW_ROW(b, 48), SYNTH_KW_ROW(b, 56) \
  }

// K[i] + (constant W[i]) of the header's second block (W4 = 0x80000000, W15 = 640, others 0 for
// i = 4..15; plain K[i] elsewhere) and of the second hash (W8 = 0x80000000, W15 = 256). Mutable
// __constant__ so that the compiler cannot fold them into immediates (mode >= 1 wants them as
// IMAD's constant-bank addend). Defined here: include this header from q .cu only.
__constant__ uint32_t kDevKw1[64] = SYNTH_KW_TABLE(1);
__constant__ uint32_t kDevKw2[64] = SYNTH_KW_TABLE(2);

// Mode 6 is mode 2 with a multiplier per round: each round's adds read their own `one`
// (Opaque::ones[i]). With a single `one`, ptxas holds it in a vector register and every IMAD
// reads three vector registers; the SM's register file then limits the issue rate before the
// ALU pipe does (measured in mode 2: ALU pipe 81% busy, warps waiting on the pipe). With 64
// different (all 1) values ptxas takes the multiplier from a uniform register or the constant
// bank: one vector-register read fewer per IMAD, and the ALU pipe reaches 92% (docs/GPU.md).
// Modes 7 and 8 do the same for the IMAD.HI shifts: per-round copies of 2^29 and 2^22.
__host__ __device__ constexpr int BaseMode(int mode) {
  return (mode == 6 || mode == 9 || mode == 13) ? 2 : (mode == 7 || mode == 8) ? 3 : mode;
}
// Modes whose constant adds multiply a register-held 1 by an immediate (see AddConst).
__host__ __device__ constexpr bool RegisterOneConsts(int mode) { return mode == 9 || mode == 13; }
// Distinct per-round multipliers: round i reads ones[i % Multipliers(mode)]. Measured with one
// midstate (docs/BENCHMARKS.md): 8 lose (ptxas holds some in vector registers, as with one
// `one`), 16 / 24 / 32 / 48 / 64 run 8.57 / 8.61 / 8.65 / 8.63 / 8.36 GH/s looped.
__host__ __device__ constexpr int Multipliers(int mode) { return mode == 13 ? 32 : 64; }
__host__ __device__ constexpr bool PerRoundShr(int mode) { return mode == 7 || mode == 8; }

// What the per-round helpers read: `one` (the multiplier of an add kept on the FMA pipe) and the
// powers of two 2^(32-k) for the shifts and rotations that modes 3..5 put there.
struct QView {
  const uint32_t& one;
  const uint32_t* pow2;
  const uint32_t& p29;  // 2^29 (x >> 3) and 2^22 (x >> 10): per round in modes 7 and 8.
  const uint32_t& p22;
  uint32_t onev;        // 1 in a register (mode 9's constant adds).
};

template <int kAddMode, int kI>
__device__ __forceinline__ QView RoundView(const Opaque& q, uint32_t onev) {
  constexpr bool kPerRound = PerRoundShr(kAddMode);
  return QView{kAddMode >= 6 ? q.ones[kI % Multipliers(kAddMode)] : q.one, q.pow2,
               kPerRound ? q.shr3[kI & 63] : q.pow2[29], kPerRound ? q.shr10[kI & 63] : q.pow2[22],
               onev};
}

// The register-held 1 of mode 9: ptxas cannot see its value, so `onev * c + x` stays an IMAD
// with `c` as immediate (a literal 1 would be turned into IADD3 or VIADD).
__device__ __forceinline__ uint32_t RegisterOne(const Opaque& q) { return __popc(q.one); }

// x + y, on the FMA pipe when kFma (q.one is 1 at run time).
template <bool kFma>
__device__ __forceinline__ uint32_t Add(uint32_t x, uint32_t y, const QView& q) {
  if constexpr (kFma) {
    return x * q.one + y;
  } else {
    return x + y;
  }
}

// x + c for a constant c: in mode 9 one IMAD of the register-held 1 by the immediate c (written
// as PTX so that no pass hoists the product out of a loop), in modes 1..8 an IMAD with c from
// constant memory (c_dev), else a plain add.
template <int kAddMode>
__device__ __forceinline__ uint32_t AddConst(uint32_t x, uint32_t c_lit, uint32_t c_dev,
                                             const QView& q) {
  if constexpr (RegisterOneConsts(kAddMode)) {
    uint32_t r;
    asm("mad.lo.u32 %0, %1, %2, %3;" : "=r"(r) : "r"(q.onev), "r"(c_lit), "r"(x));
    return r;
  } else if constexpr (kAddMode >= 1) {
    return x * q.one + c_dev;
  } else {
    return x + c_lit;
  }
}

// x >> k: on the FMA pipe (IMAD.HI by an opaque 2^(32-k)) in modes 3..5, 7 and (k = 3) 8.
template <int kAddMode, int k>
__device__ __forceinline__ uint32_t Shr(uint32_t x, const QView& q) {
  if constexpr (kAddMode == 8 && k != 3) {
    return x >> k;
  } else if constexpr (PerRoundShr(kAddMode)) {
    return __umulhi(x, k == 3 ? q.p29 : q.p22);
  } else if constexpr (BaseMode(kAddMode) >= 3) {
    return __umulhi(x, q.pow2[32 - k]);
  } else {
    return x >> k;
  }
}

// Rotr(x, k) as the two halves of one IMAD.WIDE by an opaque 2^(32-k): their XOR (or OR) is
// the rotation, and the halves fold into the LOP3 that combines a Sigma's terms.
template <int k>
__device__ __forceinline__ uint32_t RotrWideXor(uint32_t x, uint32_t other, const QView& q) {
  const uint64_t p = static_cast<uint64_t>(x) * q.pow2[32 - k];
  return static_cast<uint32_t>(p) ^ static_cast<uint32_t>(p >> 32) ^ other;
}

template <int kAddMode>
__device__ __forceinline__ uint32_t Sigma0(uint32_t a, const QView& q) {
  if constexpr (BaseMode(kAddMode) == 4) {
    return RotrWideXor<2>(a, RotrWideXor<13>(a, Rotr(a, 22), q), q);
  } else {
    return BigSigma0(a);
  }
}

template <int kAddMode>
__device__ __forceinline__ uint32_t Sigma1(uint32_t e, const QView& q) {
  if constexpr (BaseMode(kAddMode) >= 4) {
    return RotrWideXor<6>(e, RotrWideXor<11>(e, Rotr(e, 25), q), q);
  } else {
    return BigSigma1(e);
  }
}

template <int kAddMode>
__device__ __forceinline__ uint32_t SmallS0(uint32_t x, const QView& q) {
  return Rotr(x, 7) ^ Rotr(x, 18) ^ Shr<kAddMode, 3>(x, q);
}

template <int kAddMode>
__device__ __forceinline__ uint32_t SmallS1(uint32_t x, const QView& q) {
  return Rotr(x, 17) ^ Rotr(x, 19) ^ Shr<kAddMode, 10>(x, q);
}

// Rotates a..h by one round: new a, new e.
__device__ __forceinline__ void Shift(uint32_t s[8], uint32_t a, uint32_t e) {
  s[7] = s[6];
  s[6] = s[5];
  s[5] = s[4];
  s[4] = e;
  s[3] = s[2];
  s[2] = s[1];
  s[1] = s[0];
  s[0] = a;
}

// One SHA-256 round given hkw = h + K[i] + W[i].
template <int kAddMode>
__device__ __forceinline__ void RoundHkw(uint32_t s[8], uint32_t hkw, const QView& q) {
  const uint32_t s1 = Sigma1<kAddMode>(s[4], q);
  const uint32_t ch = Ch(s[4], s[5], s[6]);
  const uint32_t s0 = Sigma0<kAddMode>(s[0], q);
  const uint32_t mj = Maj(s[0], s[1], s[2]);
  uint32_t t1, a;
  if constexpr (kAddMode >= 2) {
    t1 = Add<true>(s1, Add<true>(ch, hkw, q), q);
    a = Add<true>(s0, Add<true>(mj, t1, q), q);
  } else {
    t1 = hkw + s1 + ch;
    a = t1 + s0 + mj;
  }
  Shift(s, a, Add<(kAddMode >= 1)>(s[3], t1, q));
}

// h + K[i] + W[i] for a variable W; kw_dev is K[i] from constant memory (mode >= 1).
template <int kAddMode>
__device__ __forceinline__ uint32_t Hkw(const uint32_t s[8], uint32_t k_lit, uint32_t k_dev,
                                        uint32_t w, const QView& q) {
  if constexpr (kAddMode >= 1) {
    return Add<true>(w, AddConst<kAddMode>(s[7], k_lit, k_dev, q), q);
  } else {
    return s[7] + k_lit + w;
  }
}

// h + (K[i] + W[i]) for a constant W.
template <int kAddMode>
__device__ __forceinline__ uint32_t HkwConst(const uint32_t s[8], uint32_t kw_lit, uint32_t kw_dev,
                                             const QView& q) {
  return AddConst<kAddMode>(s[7], kw_lit, kw_dev, q);
}

// The last rounds of the second hash compute e only (a is never read again).
template <int kAddMode>
__device__ __forceinline__ void RoundEOnly(uint32_t s[8], uint32_t hkw, const QView& q) {
  const uint32_t t1 = hkw + Sigma1<kAddMode>(s[4], q) + Ch(s[4], s[5], s[6]);
  Shift(s, 0, Add<(kAddMode >= 1)>(s[3], t1, q));
}

// W[i] = sigma1(W[i-2]) + W[i-7] + sigma0(W[i-15]) + W[i-16].
template <int kAddMode>
__device__ __forceinline__ uint32_t Schedule(uint32_t w2, uint32_t w7, uint32_t w15, uint32_t w16,
                                             const QView& q) {
  const uint32_t u = Add<(kAddMode >= 1)>(w7, w16, q);
  if constexpr (kAddMode >= 2) {
    return Add<true>(SmallS1<kAddMode>(w2, q), Add<true>(SmallS0<kAddMode>(w15, q), u, q), q);
  } else {
    return SmallS1<kAddMode>(w2, q) + SmallS0<kAddMode>(w15, q) + u;
  }
}

// The header block's schedule word i >= 16 over the window w[i & 15] (W0..W2 never read).
template <int kAddMode, int i>
__device__ __forceinline__ uint32_t FirstSchedule(const uint32_t w[16], const TailPre& tp,
                                                  const QView& q) {
  constexpr bool kF = kAddMode >= 1;
  if constexpr (i == 16) return tp.w16;
  if constexpr (i == 17) return tp.w17;
  if constexpr (i == 18) return Add<kF>(SmallS0<kAddMode>(w[3], q), tp.w18c, q);
  if constexpr (i == 19) return Add<kF>(w[3], tp.w19c, q);
  if constexpr (i == 31 || i == 32) {
    const uint32_t c = i == 31 ? tp.w31c : tp.w32c;
    return SmallS1<kAddMode>(w[(i - 2) & 15], q) + Add<kF>(w[(i - 7) & 15], c, q);
  }
  return Schedule<kAddMode>(w[(i - 2) & 15], w[(i - 7) & 15], w[(i - 15) & 15], w[(i - 16) & 15],
                            q);
}

template <int kMids, int kAddMode, int i>
__device__ __forceinline__ void FirstRounds(uint32_t s[kMids][8], uint32_t w[16], const TailPre& tp,
                                            const Opaque& q, uint32_t onev) {
  if constexpr (i < 64) {
    const QView qi = RoundView<kAddMode, i>(q, onev);
    if constexpr (i >= 16) w[i & 15] = FirstSchedule<kAddMode, i>(w, tp, qi);
#pragma unroll
    for (int m = 0; m < kMids; ++m) {
      uint32_t hkw;
      if constexpr (i < 16) {
        constexpr uint32_t kWc = i == 4 ? 0x80000000u : (i == 15 ? 640u : 0u);
        hkw = HkwConst<kAddMode>(s[m], KConst(i) + kWc, kDevKw1[i], qi);
      } else {
        hkw = Hkw<kAddMode>(s[m], KConst(i), kDevKw1[i], w[i & 15], qi);
      }
      RoundHkw<kAddMode>(s[m], hkw, qi);
    }
    FirstRounds<kMids, kAddMode, i + 1>(s, w, tp, q, onev);
  }
}

// Rounds 4..63 of the header's second block for kMids midstates sharing tail and nonce (W3 =
// byte-swapped nonce), then the midstate feed-forward: out[m] = the first hash's state words.
template <int kMids, int kAddMode>
__device__ __forceinline__ void FirstHash(const MidstatePre* pre, const TailPre& tp, uint32_t w3,
                                          const Opaque& q, uint32_t onev,
                                          uint32_t out[kMids][8]) {
  constexpr bool kF = kAddMode >= 1;
  const QView q3 = RoundView<kAddMode, 3>(q, onev), q64 = RoundView<kAddMode, 0>(q, onev);
  uint32_t s[kMids][8];
#pragma unroll
  for (int m = 0; m < kMids; ++m) {
#pragma unroll
    for (int j = 0; j < 8; ++j) s[m][j] = pre[m].s4[j];
    s[m][0] = Add<kF>(w3, s[m][0], q3);
    s[m][4] = Add<kF>(w3, s[m][4], q3);
  }
  uint32_t w[16] = {0, 0, 0, w3, 0x80000000u, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 640};
  FirstRounds<kMids, kAddMode, 4>(s, w, tp, q, onev);
#pragma unroll
  for (int m = 0; m < kMids; ++m) {
#pragma unroll
    for (int j = 0; j < 8; ++j) out[m][j] = Add<kF>(s[m][j], pre[m].mid[j], q64);
  }
}

template <int kAddMode, int i>
__device__ __forceinline__ void SecondRounds(uint32_t s[8], uint32_t w[16], const Opaque& q,
                                             uint32_t onev) {
  if constexpr (i < 61) {
    const QView qi = RoundView<kAddMode, i>(q, onev);
    if constexpr (i >= 16) {
      w[i & 15] = Schedule<kAddMode>(w[(i - 2) & 15], w[(i - 7) & 15], w[(i - 15) & 15],
                                     w[(i - 16) & 15], qi);
    }
    if constexpr (i < 4) {
      // h is still a constant of the IV: h + K folds into one immediate.
      if constexpr (RegisterOneConsts(kAddMode)) {
        RoundHkw<kAddMode>(s, AddConst<kAddMode>(w[i], s[7] + KConst(i), 0, qi), qi);
      } else {
        RoundHkw<kAddMode>(s, s[7] + KConst(i) + w[i], qi);
      }
    } else if constexpr (i < 8) {
      RoundHkw<kAddMode>(s, Hkw<kAddMode>(s, KConst(i), kDevKw2[i], w[i], qi), qi);
    } else if constexpr (i < 16) {
      constexpr uint32_t kWc = i == 8 ? 0x80000000u : (i == 15 ? 256u : 0u);
      RoundHkw<kAddMode>(s, HkwConst<kAddMode>(s, KConst(i) + kWc, kDevKw2[i], qi), qi);
    } else if constexpr (i < 57) {
      RoundHkw<kAddMode>(s, Hkw<kAddMode>(s, KConst(i), kDevKw2[i], w[i & 15], qi), qi);
    } else {
      RoundEOnly<kAddMode>(s, Hkw<kAddMode>(s, KConst(i), kDevKw2[i], w[i & 15], qi), qi);
    }
    SecondRounds<kAddMode, i + 1>(s, w, q, onev);
  }
}

// The second hash of the digest `d` (the first hash's state words) up to round 60; returns the
// final state word 7 (= IV[7] + e after round 60). The hash's most significant 32 bits (as
// Target256 word 7) are Bswap32 of it.
template <int kAddMode>
__device__ __forceinline__ uint32_t SecondHashH7(const uint32_t d[8], const Opaque& q,
                                                 uint32_t onev) {
  uint32_t w[16] = {d[0],        d[1], d[2], d[3], d[4], d[5], d[6], d[7],
                    0x80000000u, 0,    0,    0,    0,    0,    0,    256};
  uint32_t s[8];
#pragma unroll
  for (int j = 0; j < 8; ++j) s[j] = IvConst(j);
  SecondRounds<kAddMode, 0>(s, w, q, onev);
  if constexpr (RegisterOneConsts(kAddMode)) {
    return AddConst<kAddMode>(s[4], IvConst(7), 0, RoundView<kAddMode, 0>(q, onev));
  } else {
    return IvConst(7) + s[4];
  }
}

}  // namespace synth::kernels

#endif  // SYNTH_KERNELS_SHA256_ROUNDS_CUH_
