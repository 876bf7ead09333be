// File: common/hash/sha_ni_kernel.h
//
// The SHA-NI sha256d nonce kernel as 32 stages, so that a core can run them back to back
// (sha_ni_core.cc) or spread them between another unit's rounds (hybrid_core.cc). Included only
// by files compiled with -msha -msse4.1 -mssse3; everything here has internal linkage (unnamed
// namespace), so no copy built with one file's flags is shared with another file.
//
//   ShaPre p = MakeShaPre(work);
//   ShaNonces<6> n;
//   n.Run(p, base, s7);   // s7[j] = final state word 7 for nonce base + j
//
// Stage 0: rounds 2,3 of the first hash (rounds 0,1 hoisted); 1..15: quads 1..15; 16..30: the
// second hash's quads 0..14 (the digest becomes its W0..W7 in stage 16); 31: rounds 60,61 with
// one RNDS2, whose F is e after round 60 (final word 7 = IV7 + F).
#ifndef SYNTH_COMMON_HASH_SHA_NI_KERNEL_H_
#define SYNTH_COMMON_HASH_SHA_NI_KERNEL_H_

#include <immintrin.h>

#include <cstdint>
#include <utility>

#include "common/hash/precompute.h"

#define SYNTH_INLINE inline __attribute__((always_inline))

namespace synth::hash::shani {
namespace {

SYNTH_INLINE __m128i K4(int q) {
  return _mm_load_si128(reinterpret_cast<const __m128i*>(kSha256K + 4 * q));
}
SYNTH_INLINE __m128i Set(uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3) {
  return _mm_setr_epi32(static_cast<int>(w0), static_cast<int>(w1), static_cast<int>(w2),
                        static_cast<int>(w3));
}
// ABEF / CDGH packing of a state s = {a..h}.
SYNTH_INLINE __m128i Abef(const uint32_t* s) { return Set(s[5], s[4], s[1], s[0]); }
SYNTH_INLINE __m128i Cdgh(const uint32_t* s) { return Set(s[7], s[6], s[3], s[2]); }

// Four rounds: on return `abef`/`cdgh` hold the new state.
SYNTH_INLINE void Quad(__m128i& abef, __m128i& cdgh, __m128i wk) {
  cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
  abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
}

// The next schedule group from the four before it: W[i..i+3] from W[i-16..i-1].
SYNTH_INLINE __m128i Next(__m128i w0, __m128i w1, __m128i w2, __m128i w3) {
  __m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4));
  return _mm_sha256msg2_epu32(x, w3);
}

struct ShaPre {
  __m128i abef2, cdgh2;        // First hash after rounds 0..1.
  __m128i m0;                  // W0..W3 of the second header block, W3 = 0.
  __m128i mid_abef, mid_cdgh;  // Midstate, added after the first hash.
  __m128i c5, c6;              // msg1 terms of groups 5 and 6 (padding words only).
  __m128i c6b;                 // The same for the second hash's group 6.
};

// Padding words as functions, not namespace-scope __m128i constants: those would be built by a
// static initializer compiled with this file's ISA flags and run at startup on every CPU.
SYNTH_INLINE __m128i M1() { return Set(0x80000000u, 0, 0, 0); }   // First hash W4..W7.
SYNTH_INLINE __m128i M3() { return Set(0, 0, 0, 640); }           // First hash W12..W15.
SYNTH_INLINE __m128i M2b() { return Set(0x80000000u, 0, 0, 0); }  // Second hash W8..W11.
SYNTH_INLINE __m128i M3b() { return Set(0, 0, 0, 256); }          // Second hash W12..W15.

constexpr uint32_t kIv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                             0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

SYNTH_INLINE ShaPre MakeShaPre(const ScanWork& work) {
  const Precomp pre = MakePrecomp(work);
  ShaPre p;
  p.abef2 = Abef(pre.state2);
  p.cdgh2 = Cdgh(pre.state2);
  p.m0 = Set(pre.w[0], pre.w[1], pre.w[2], 0);
  p.mid_abef = Abef(pre.midstate);
  p.mid_cdgh = Cdgh(pre.midstate);
  p.c5 = _mm_sha256msg1_epu32(M1(), _mm_setzero_si128());
  p.c6 = _mm_sha256msg1_epu32(_mm_setzero_si128(), M3());
  p.c6b = _mm_sha256msg1_epu32(M2b(), M3b());
  return p;
}

// N nonces in flight; each stage advances all N, so N independent RNDS2 chains interleave.
template <int N>
struct ShaNonces {
  __m128i a[N], c[N], w[N][4];

  template <int S>
  SYNTH_INLINE void Stage(const ShaPre& p, uint32_t base, uint32_t* s7) {
#pragma GCC unroll 16
    for (int j = 0; j < N; ++j) One<S>(p, base + j, j, s7);
  }

  template <int S>
  SYNTH_INLINE void One(const ShaPre& p, uint32_t nonce, int j, uint32_t* s7) {
    __m128i* m = w[j];
    if constexpr (S == 0) {
      m[0] = _mm_insert_epi32(p.m0, static_cast<int>(__builtin_bswap32(nonce)), 3);
      // Rounds 2,3 (one RNDS2): the result is ABEF; the old ABEF is CDGH.
      a[j] = _mm_sha256rnds2_epu32(p.cdgh2, p.abef2, _mm_srli_si128(_mm_add_epi32(m[0], K4(0)), 8));
      c[j] = p.abef2;
    } else if constexpr (S == 1) {
      Quad(a[j], c[j], _mm_add_epi32(M1(), K4(1)));
    } else if constexpr (S == 2) {
      Quad(a[j], c[j], K4(2));
    } else if constexpr (S == 3) {
      Quad(a[j], c[j], _mm_add_epi32(M3(), K4(3)));
    } else if constexpr (S == 4) {
      m[0] = _mm_sha256msg2_epu32(_mm_sha256msg1_epu32(m[0], M1()), M3());
      Quad(a[j], c[j], _mm_add_epi32(m[0], K4(4)));
    } else if constexpr (S == 5) {
      m[1] = _mm_sha256msg2_epu32(_mm_add_epi32(p.c5, _mm_alignr_epi8(m[0], M3(), 4)), m[0]);
      Quad(a[j], c[j], _mm_add_epi32(m[1], K4(5)));
    } else if constexpr (S == 6) {
      m[2] = _mm_sha256msg2_epu32(_mm_add_epi32(p.c6, _mm_alignr_epi8(m[1], m[0], 4)), m[1]);
      Quad(a[j], c[j], _mm_add_epi32(m[2], K4(6)));
    } else if constexpr (S == 7) {
      m[3] = Next(M3(), m[0], m[1], m[2]);
      Quad(a[j], c[j], _mm_add_epi32(m[3], K4(7)));
    } else if constexpr (S < 16) {
      m[S & 3] = Next(m[S & 3], m[(S + 1) & 3], m[(S + 2) & 3], m[(S + 3) & 3]);
      Quad(a[j], c[j], _mm_add_epi32(m[S & 3], K4(S)));
    } else if constexpr (S == 16) {
      // Digest of the first hash as the second hash's W0..W7; restart from the IV.
      __m128i abef = _mm_add_epi32(a[j], p.mid_abef), cdgh = _mm_add_epi32(c[j], p.mid_cdgh);
      m[0] = _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1b);
      m[1] = _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1b);
      a[j] = Abef(kIv);
      c[j] = Cdgh(kIv);
      Quad(a[j], c[j], _mm_add_epi32(m[0], K4(0)));
    } else if constexpr (S == 17) {
      Quad(a[j], c[j], _mm_add_epi32(m[1], K4(1)));
    } else if constexpr (S == 18) {
      Quad(a[j], c[j], _mm_add_epi32(M2b(), K4(2)));
    } else if constexpr (S == 19) {
      Quad(a[j], c[j], _mm_add_epi32(M3b(), K4(3)));
    } else if constexpr (S == 20) {
      m[2] = _mm_sha256msg2_epu32(_mm_sha256msg1_epu32(m[0], m[1]), M3b());  // W16..19
      Quad(a[j], c[j], _mm_add_epi32(m[2], K4(4)));
    } else if constexpr (S == 21) {
      m[3] = _mm_sha256msg2_epu32(
          _mm_add_epi32(_mm_sha256msg1_epu32(m[1], M2b()), _mm_alignr_epi8(m[2], M3b(), 4)),
          m[2]);  // W20..23
      Quad(a[j], c[j], _mm_add_epi32(m[3], K4(5)));
    } else if constexpr (S == 22) {
      m[0] = _mm_sha256msg2_epu32(_mm_add_epi32(p.c6b, _mm_alignr_epi8(m[3], m[2], 4)),
                                  m[3]);  // W24..27
      Quad(a[j], c[j], _mm_add_epi32(m[0], K4(6)));
    } else if constexpr (S == 23) {
      m[1] = Next(M3b(), m[2], m[3], m[0]);  // W28..31
      Quad(a[j], c[j], _mm_add_epi32(m[1], K4(7)));
    } else if constexpr (S < 31) {
      // Second-hash group q = S - 16 lives in m[(q + 2) & 3].
      constexpr int q = S - 16;
      __m128i& g = m[(q + 2) & 3];
      g = Next(g, m[(q + 3) & 3], m[(q + 4) & 3], m[(q + 5) & 3]);
      Quad(a[j], c[j], _mm_add_epi32(g, K4(q)));
    } else {
      __m128i g = Next(m[1], m[2], m[3], m[0]);  // W60..63
      __m128i abef = _mm_sha256rnds2_epu32(c[j], a[j], _mm_add_epi32(g, K4(15)));
      s7[j] = static_cast<uint32_t>(_mm_cvtsi128_si32(abef)) + kIv[7];
    }
  }

  template <int... S>
  SYNTH_INLINE void RunAll(std::integer_sequence<int, S...>, const ShaPre& p, uint32_t base,
                           uint32_t* s7) {
    (Stage<S>(p, base, s7), ...);
  }

  // Computes final state word 7 of sha256d for nonces base..base+N-1.
  SYNTH_INLINE void Run(const ShaPre& p, uint32_t base, uint32_t* s7) {
    RunAll(std::make_integer_sequence<int, 32>(), p, base, s7);
  }
};

}  // namespace
}  // namespace synth::hash::shani

#endif  // SYNTH_COMMON_HASH_SHA_NI_KERNEL_H_
