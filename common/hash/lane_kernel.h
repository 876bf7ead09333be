// File: common/hash/lane_kernel.h
//
// The sha256d nonce-scan loop shared by the lane-parallel cores (scalar: 1 lane, AVX2: 8,
// AVX-512: 16, and the AVX-512 half of the hybrid core). Each core's .cc file defines an `Ops`
// type in an unnamed namespace (AVX-512's lives in avx512_ops.h, itself in an unnamed namespace)
// and instantiates ScanLanes<Ops> or Kernel<Ops>::HashS7, so every instantiation has internal
// linkage and is compiled with that file's ISA flags only (no ODR mixing of ISA-specific code).
// HashS7 takes a Hook whose After<K>() runs after round K (K = 0..118): the hybrid core puts
// SHA-NI stages there; ScanLanes passes NoHook.
//
//   namespace { struct Avx512Ops { using V = __m512i; static constexpr int kLanes = 16; ... }; }
//   ScanLanes<Avx512Ops>(work, start, count, found);
//
// Ops provides: V, kLanes, Set1(u32), Add(V,V), BigS0, BigS1, SmallS0, SmallS1, Ch(e,f,g),
// Maj(a,b,c), NonceW3(base) (byte-swapped nonces base + lane), and CandidateMask(s7, target7)
// (bit per lane where bswap(s7) <= target7; see CandidateTop in precompute.h).
//
// Per nonce: first compression from round 4 (rounds 0..3 hoisted, see precompute.h) with the
// fixed schedule terms folded; second compression from round 1 (round 0 from the IV hoisted),
// stopped after the e-half of round 60, which fixes the final state word 7 (h64 = e61). The
// compiler drops rounds 57..59's a-half and W61..W63 as dead code.
//
// Thread-safe: pure functions.
#ifndef SYNTH_COMMON_HASH_LANE_KERNEL_H_
#define SYNTH_COMMON_HASH_LANE_KERNEL_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "common/hash/precompute.h"
#include "common/hash/scan.h"

#define SYNTH_INLINE inline __attribute__((always_inline))

namespace synth::hash::lanes {

// The hook of a core that interleaves nothing.
struct NoHook {
  template <int K>
  SYNTH_INLINE void After() {}
};

template <class O>
struct Kernel {
  using V = typename O::V;

  static SYNTH_INLINE V Add3(V a, V b, V c) { return O::Add(O::Add(a, b), c); }
  static SYNTH_INLINE V C(uint32_t x) { return O::Set1(x); }

  static constexpr uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
  static constexpr uint32_t Sigma0(uint32_t x) { return Rotr(x, 7) ^ Rotr(x, 18) ^ (x >> 3); }
  static constexpr uint32_t Sigma1(uint32_t x) { return Rotr(x, 17) ^ Rotr(x, 19) ^ (x >> 10); }
  static constexpr uint32_t kH2Padding[8] = {0x80000000u, 0, 0, 0, 0, 0, 0, 0x100};

  // Round I on the rotating state s (a = s[-I mod 8]).
  template <int I>
  static SYNTH_INLINE void Round(V (&s)[8], V kw) {
    constexpr int r = I & 7;
    V& a = s[(8 - r) & 7];
    V& b = s[(9 - r) & 7];
    V& c = s[(10 - r) & 7];
    V& d = s[(11 - r) & 7];
    V& e = s[(12 - r) & 7];
    V& f = s[(13 - r) & 7];
    V& g = s[(14 - r) & 7];
    V& h = s[(15 - r) & 7];
    V t1 = O::Add(O::Add(h, O::BigS1(e)), O::Add(O::Ch(e, f, g), kw));
    d = O::Add(d, t1);
    h = O::Add(t1, O::Add(O::BigS0(a), O::Maj(a, b, c)));
  }

  // Returns e after round I (the e-half only).
  template <int I>
  static SYNTH_INLINE V RoundE(const V (&s)[8], V kw) {
    constexpr int r = I & 7;
    const V& d = s[(11 - r) & 7];
    const V& e = s[(12 - r) & 7];
    const V& f = s[(13 - r) & 7];
    const V& g = s[(14 - r) & 7];
    const V& h = s[(15 - r) & 7];
    return O::Add(O::Add(d, h), O::Add(O::BigS1(e), O::Add(O::Ch(e, f, g), kw)));
  }

  static SYNTH_INLINE V General(const V* w, int i) {
    return O::Add(O::Add(O::SmallS1(w[i - 2]), w[i - 7]), O::Add(O::SmallS0(w[i - 15]), w[i - 16]));
  }

  // First hash, schedule word I >= 18 (W3 is the only variable input word).
  template <int I>
  static SYNTH_INLINE V Sched1(const V* w, const Precomp& p) {
    if constexpr (I == 18)
      return O::Add(C(p.w18c), O::SmallS0(w[3]));
    else if constexpr (I == 19)
      return O::Add(C(p.w19c), w[3]);
    else if constexpr (I == 20)
      return O::Add(O::SmallS1(w[18]), C(0x80000000u));
    else if constexpr (I == 21)
      return O::SmallS1(w[19]);
    else if constexpr (I == 22)
      return O::Add(O::SmallS1(w[20]), C(640));
    else if constexpr (I == 23)
      return O::Add(O::SmallS1(w[21]), C(p.w16));
    else if constexpr (I == 24)
      return O::Add(O::SmallS1(w[22]), C(p.w17));
    else if constexpr (I <= 29)
      return O::Add(O::SmallS1(w[I - 2]), w[I - 7]);
    else if constexpr (I == 30)
      return Add3(O::SmallS1(w[28]), w[23], C(Sigma0(640)));
    else if constexpr (I == 31)
      return Add3(O::SmallS1(w[29]), w[24], C(p.w31c));
    else if constexpr (I == 32)
      return Add3(O::SmallS1(w[30]), w[25], C(p.w32c));
    else if constexpr (I == 33)
      return O::Add(Add3(O::SmallS1(w[31]), w[26], O::SmallS0(w[18])), C(p.w17));
    else
      return General(w, I);
  }

  // Second hash, schedule word I >= 16 (W0..W7 variable, W8..W15 padding).
  template <int I>
  static SYNTH_INLINE V Sched2(const V* w) {
    if constexpr (I == 16)
      return O::Add(O::SmallS0(w[1]), w[0]);
    else if constexpr (I == 17)
      return Add3(O::SmallS0(w[2]), w[1], C(Sigma1(0x100)));
    else if constexpr (I <= 21)
      return Add3(O::SmallS1(w[I - 2]), O::SmallS0(w[I - 15]), w[I - 16]);
    else if constexpr (I == 22)
      return O::Add(Add3(O::SmallS1(w[20]), O::SmallS0(w[7]), w[6]), C(0x100));
    else if constexpr (I == 23)
      return O::Add(Add3(O::SmallS1(w[21]), w[16], w[7]), C(Sigma0(0x80000000u)));
    else if constexpr (I == 24)
      return Add3(O::SmallS1(w[22]), w[17], C(0x80000000u));
    else if constexpr (I <= 29)
      return O::Add(O::SmallS1(w[I - 2]), w[I - 7]);
    else if constexpr (I == 30)
      return Add3(O::SmallS1(w[28]), w[23], C(Sigma0(0x100)));
    else if constexpr (I == 31)
      return O::Add(Add3(O::SmallS1(w[29]), w[24], O::SmallS0(w[16])), C(0x100));
    else
      return General(w, I);
  }

  template <int I>
  static SYNTH_INLINE void Step1(V (&s)[8], V* w, const Precomp& p) {
    if constexpr (I < 18) {
      Round<I>(s, C(p.kw1[I]));
    } else {
      w[I] = Sched1<I>(w, p);
      Round<I>(s, O::Add(w[I], C(kSha256K[I])));
    }
  }

  template <int I>
  static SYNTH_INLINE void Step2(V (&s)[8], V* w) {
    if constexpr (I < 8) {
      Round<I>(s, O::Add(w[I], C(kSha256K[I])));
    } else if constexpr (I < 16) {
      Round<I>(s, C(kSha256K[I] + kH2Padding[I - 8]));
    } else {
      w[I] = Sched2<I>(w);
      Round<I>(s, O::Add(w[I], C(kSha256K[I])));
    }
  }

  // After each round the hook runs `hook.template After<K>()`, K counting rounds from 0: a
  // hybrid core interleaves another unit's work there (see hybrid_core.cc).
  template <class Hook, int... I>
  static SYNTH_INLINE void Rounds1(std::integer_sequence<int, I...>, V (&s)[8], V* w,
                                   const Precomp& p, Hook& hook) {
    ((Step1<I + 4>(s, w, p), hook.template After<I>()), ...);
  }
  template <class Hook, int... I>
  static SYNTH_INLINE void Rounds2(std::integer_sequence<int, I...>, V (&s)[8], V* w, Hook& hook) {
    ((Step2<I + 1>(s, w), hook.template After<60 + I>()), ...);
  }

  // Enters round 4 of the first hash: a = s[4], b = s[5], ..., e = s[0], ... (a = s[-4 mod 8]),
  // with the nonce word w3 added to a and e (precompute.h).
  static SYNTH_INLINE void Enter4(V (&s)[8], const Precomp& p, V w3) {
    for (int j = 0; j < 8; ++j) s[(4 + j) & 7] = C(p.state4[j]);
    s[4] = O::Add(s[4], w3);
    s[0] = O::Add(s[0], w3);
  }

  // Runs the second hash on the first one's final state `s` (a = s[0]) and returns the final
  // state word 7 of sha256d. The hook's After<K>() runs after rounds K = 60..118.
  template <class Hook>
  static SYNTH_INLINE V SecondHashS7(V (&s)[8], const Precomp& p, Hook& hook) {
    V m[64];
    for (int j = 0; j < 8; ++j) m[j] = O::Add(s[j], C(p.midstate[j]));
    // Second hash, round 0 from the IV; enter round 1 with a = s[7].
    V t1 = O::Add(m[0], C(kH2T1));
    s[7] = O::Add(t1, C(kH2T2));
    s[0] = C(0x6a09e667);
    s[1] = C(0xbb67ae85);
    s[2] = C(0x3c6ef372);
    s[3] = O::Add(t1, C(0xa54ff53a));
    s[4] = C(0x510e527f);
    s[5] = C(0x9b05688c);
    s[6] = C(0x1f83d9ab);
    Rounds2(std::make_integer_sequence<int, 59>(), s, m, hook);  // rounds 1..59
    m[60] = General(m, 60);
    V e61 = RoundE<60>(s, O::Add(m[60], C(kSha256K[60])));
    return O::Add(e61, C(0x5be0cd19));
  }

  // Returns the final state word 7 of sha256d for nonces base + lane.
  template <class Hook>
  static SYNTH_INLINE V HashS7(const Precomp& p, uint32_t base, Hook& hook) {
    V w[64];
    w[3] = O::NonceW3(base);
    V s[8];
    Enter4(s, p, w[3]);
    Rounds1(std::make_integer_sequence<int, 60>(), s, w, p, hook);
    // After 64 rounds the rotation is back to a = s[0].
    return SecondHashS7(s, p, hook);
  }

  // The first hash's schedule W18..W63 with K added (wk[i] = W[i] + K[i]), for a row.
  template <int... I>
  static SYNTH_INLINE void ScheduleWk(std::integer_sequence<int, I...>, V* wk, const Precomp& p) {
    ((wk[I + 18] = Sched1<I + 18>(wk, p)), ...);
    ((wk[I + 18] = O::Add(wk[I + 18], C(kSha256K[I + 18]))), ...);  // After every raw use.
  }
  template <int I>
  static SYNTH_INLINE void Step1Wk(V (&s)[8], const V* wk, const Precomp& p) {
    if constexpr (I < 18) {
      Round<I>(s, C(p.kw1[I]));
    } else {
      Round<I>(s, wk[I]);
    }
  }
  template <int... I>
  static SYNTH_INLINE void Rounds1Wk(std::integer_sequence<int, I...>, V (&s)[8], const V* wk,
                                     const Precomp& p) {
    (Step1Wk<I + 4>(s, wk, p), ...);
  }

  // Sets s7[j] to the final state word 7 of sha256d for nonces base + lane of each of the `n`
  // sibling precomputations p[0..n) (works sharing the header tail, see SharesTail in scan.h):
  // the first hash's message schedule is computed once for all of them.
  static SYNTH_INLINE void HashS7Row(const Precomp* p, int n, uint32_t base, V* s7) {
    V wk[64];
    wk[3] = O::NonceW3(base);
    ScheduleWk(std::make_integer_sequence<int, 46>(), wk, p[0]);
    NoHook hook;
#pragma GCC unroll 1
    for (int j = 0; j < n; ++j) {  // One copy of the rounds serves every midstate.
      V s[8];
      Enter4(s, p[j], wk[3]);
      Rounds1Wk(std::make_integer_sequence<int, 60>(), s, wk, p[j]);
      s7[j] = SecondHashS7(s, p[j], hook);
    }
  }
};

// Scans [start, start + count) of `work` with the lane core O; appends exact finds in order.
// Instantiates no std:: templates (vector growth happens in AppendIfMeetsTarget, compiled
// without ISA flags), so no weak symbol built with AVX-512 can leak to other files.
template <class O>
void ScanLanes(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found) {
  constexpr int kLanes = O::kLanes;
  const Precomp p = MakePrecomp(work);
  NoHook hook;
  for (uint64_t i = 0; i < count; i += kLanes) {
    uint32_t base = start + static_cast<uint32_t>(i);
    uint32_t mask = O::CandidateMask(Kernel<O>::HashS7(p, base, hook), p.target7);
    if (count - i < static_cast<uint64_t>(kLanes)) {
      mask &= (uint32_t{1} << (count - i)) - 1;
    }
    while (mask != 0) {
      uint32_t nonce = base + static_cast<uint32_t>(__builtin_ctz(mask));
      mask &= mask - 1;
      AppendIfMeetsTarget(work, nonce, found);
    }
  }
}

// Scans [start, start + count) of each of works[0..n) (siblings: SharesTail, n <= kMaxRowWorks)
// with the lane core O, sharing each nonce's first-hash schedule; appends exact finds (work
// index, nonce). Raw pointers, not std::span: no std:: template is instantiated here.
template <class O>
void ScanLanesRow(const ScanWork* works, int n, uint32_t start, uint64_t count,
                  std::vector<RowFound>* found) {
  constexpr int kLanes = O::kLanes;
  Precomp p[kMaxRowWorks];
  for (int j = 0; j < n; ++j) p[j] = MakePrecomp(works[j]);
  for (uint64_t i = 0; i < count; i += kLanes) {
    const uint32_t base = start + static_cast<uint32_t>(i);
    typename O::V s7[kMaxRowWorks];
    Kernel<O>::HashS7Row(p, n, base, s7);
    const uint32_t lanes =
        count - i < static_cast<uint64_t>(kLanes) ? (uint32_t{1} << (count - i)) - 1 : ~uint32_t{0};
    for (int j = 0; j < n; ++j) {
      uint32_t mask = O::CandidateMask(s7[j], p[j].target7) & lanes;
      while (mask != 0) {
        AppendRowIfMeetsTarget(works[j], static_cast<uint32_t>(j),
                               base + static_cast<uint32_t>(__builtin_ctz(mask)), found);
        mask &= mask - 1;
      }
    }
  }
}

}  // namespace synth::hash::lanes

#endif  // SYNTH_COMMON_HASH_LANE_KERNEL_H_
