// The SHA-NI core: SHA256RNDS2 does two rounds on the state held as ABEF/CDGH, SHA256MSG1/2
// extend the message four words at a time. SHA256RNDS2 has a latency of several cycles but a
// throughput of about one per cycle on Zen 4, so kNonces independent nonces are interleaved
// step by step to keep the unit busy. This file alone is compiled with -msha -msse4.1 -mssse3.
//
// Per nonce: first hash from round 2 (rounds 0..1 hoisted; pairs (2,3), (4,5), ... (62,63):
// 31 RNDS2), fixed schedule groups W20 and W24's msg1 terms hoisted; second hash rounds 0..61
// (31 RNDS2): after 62 rounds, F of ABEF is e after round 60, which fixes final word 7.
// Also: ScanShaNiPlain, the non-hoisted two full compressions, a benchmark baseline.
#include <immintrin.h>

#include <utility>

#include "common/hash/cores.h"
#include "common/hash/precompute.h"

#define SYNTH_INLINE inline __attribute__((always_inline))

namespace synth::hash {
namespace {

constexpr int kNonces = 6;

alignas(16) constexpr uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

SYNTH_INLINE __m128i K4(int q) { return _mm_load_si128(reinterpret_cast<const __m128i*>(kK + 4 * q)); }
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
};

const __m128i kM1 = Set(0x80000000u, 0, 0, 0);   // First hash W4..W7.
const __m128i kM3 = Set(0, 0, 0, 640);           // First hash W12..W15.
const __m128i kM2b = Set(0x80000000u, 0, 0, 0);  // Second hash W8..W11.
const __m128i kM3b = Set(0, 0, 0, 256);          // Second hash W12..W15.

// Each step below runs one stage for all N nonces, so N independent chains are in flight.
#define SYNTH_EACH for (int j = 0; j < N; ++j)

// Computes final state word 7 of sha256d for nonces base..base+N-1.
template <int N>
SYNTH_INLINE void HashN(const ShaPre& p, uint32_t base, uint32_t* s7) {
  __m128i a[N], c[N], w[N][4];
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][0] = _mm_insert_epi32(p.m0, static_cast<int>(__builtin_bswap32(base + j)), 3);
    // Rounds 2,3 (one RNDS2): the result is ABEF; the old ABEF is CDGH.
    c[j] = _mm_sha256rnds2_epu32(p.cdgh2, p.abef2,
                                 _mm_srli_si128(_mm_add_epi32(w[j][0], K4(0)), 8));
    a[j] = c[j];
    c[j] = p.abef2;
  }
#pragma GCC unroll 16
  SYNTH_EACH Quad(a[j], c[j], _mm_add_epi32(kM1, K4(1)));
#pragma GCC unroll 16
  SYNTH_EACH Quad(a[j], c[j], K4(2));
#pragma GCC unroll 16
  SYNTH_EACH Quad(a[j], c[j], _mm_add_epi32(kM3, K4(3)));
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][0] = _mm_sha256msg2_epu32(_mm_sha256msg1_epu32(w[j][0], kM1), kM3);
    Quad(a[j], c[j], _mm_add_epi32(w[j][0], K4(4)));
  }
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][1] = _mm_sha256msg2_epu32(_mm_add_epi32(p.c5, _mm_alignr_epi8(w[j][0], kM3, 4)), w[j][0]);
    Quad(a[j], c[j], _mm_add_epi32(w[j][1], K4(5)));
  }
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][2] = _mm_sha256msg2_epu32(_mm_add_epi32(p.c6, _mm_alignr_epi8(w[j][1], w[j][0], 4)),
                                   w[j][1]);
    Quad(a[j], c[j], _mm_add_epi32(w[j][2], K4(6)));
  }
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][3] = Next(kM3, w[j][0], w[j][1], w[j][2]);
    Quad(a[j], c[j], _mm_add_epi32(w[j][3], K4(7)));
  }
#pragma GCC unroll 8
  for (int q = 8; q < 16; ++q) {
#pragma GCC unroll 16
    SYNTH_EACH {
      w[j][q & 3] = Next(w[j][q & 3], w[j][(q + 1) & 3], w[j][(q + 2) & 3], w[j][(q + 3) & 3]);
      Quad(a[j], c[j], _mm_add_epi32(w[j][q & 3], K4(q)));
    }
  }
  // Digest of the first hash as the second hash's W0..W7; restart from the IV.
  static constexpr uint32_t kIv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
#pragma GCC unroll 16
  SYNTH_EACH {
    __m128i abef = _mm_add_epi32(a[j], p.mid_abef), cdgh = _mm_add_epi32(c[j], p.mid_cdgh);
    w[j][0] = _mm_shuffle_epi32(_mm_unpackhi_epi64(cdgh, abef), 0x1b);
    w[j][1] = _mm_shuffle_epi32(_mm_unpacklo_epi64(cdgh, abef), 0x1b);
    a[j] = Abef(kIv);
    c[j] = Cdgh(kIv);
    Quad(a[j], c[j], _mm_add_epi32(w[j][0], K4(0)));
  }
#pragma GCC unroll 16
  SYNTH_EACH Quad(a[j], c[j], _mm_add_epi32(w[j][1], K4(1)));
#pragma GCC unroll 16
  SYNTH_EACH Quad(a[j], c[j], _mm_add_epi32(kM2b, K4(2)));
#pragma GCC unroll 16
  SYNTH_EACH Quad(a[j], c[j], _mm_add_epi32(kM3b, K4(3)));
  const __m128i c6b = _mm_sha256msg1_epu32(kM2b, kM3b);
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][2] = _mm_sha256msg2_epu32(_mm_sha256msg1_epu32(w[j][0], w[j][1]), kM3b);  // W16..19
    Quad(a[j], c[j], _mm_add_epi32(w[j][2], K4(4)));
  }
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][3] = _mm_sha256msg2_epu32(
        _mm_add_epi32(_mm_sha256msg1_epu32(w[j][1], kM2b), _mm_alignr_epi8(w[j][2], kM3b, 4)),
        w[j][2]);  // W20..23
    Quad(a[j], c[j], _mm_add_epi32(w[j][3], K4(5)));
  }
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][0] = _mm_sha256msg2_epu32(_mm_add_epi32(c6b, _mm_alignr_epi8(w[j][3], w[j][2], 4)),
                                   w[j][3]);  // W24..27
    Quad(a[j], c[j], _mm_add_epi32(w[j][0], K4(6)));
  }
#pragma GCC unroll 16
  SYNTH_EACH {
    w[j][1] = Next(kM3b, w[j][2], w[j][3], w[j][0]);  // W28..31
    Quad(a[j], c[j], _mm_add_epi32(w[j][1], K4(7)));
  }
  // Groups q = 8..15 live in w[(q + 2) & 3].
#pragma GCC unroll 8
  for (int q = 8; q < 15; ++q) {
#pragma GCC unroll 16
    SYNTH_EACH {
      __m128i& g = w[j][(q + 2) & 3];
      g = Next(g, w[j][(q + 3) & 3], w[j][(q + 4) & 3], w[j][(q + 5) & 3]);
      Quad(a[j], c[j], _mm_add_epi32(g, K4(q)));
    }
  }
#pragma GCC unroll 16
  SYNTH_EACH {
    __m128i g = Next(w[j][1], w[j][2], w[j][3], w[j][0]);  // W60..63
    // Rounds 60, 61: F of the result is e after round 60 = final h before the IV add.
    __m128i abef = _mm_sha256rnds2_epu32(c[j], a[j], _mm_add_epi32(g, K4(15)));
    s7[j] = static_cast<uint32_t>(_mm_cvtsi128_si32(abef)) + kIv[7];
  }
}

ShaPre MakeShaPre(const ScanWork& work) {
  const Precomp pre = MakePrecomp(work);
  ShaPre p;
  p.abef2 = Abef(pre.state2);
  p.cdgh2 = Cdgh(pre.state2);
  p.m0 = Set(pre.w[0], pre.w[1], pre.w[2], 0);
  p.mid_abef = Abef(pre.midstate);
  p.mid_cdgh = Cdgh(pre.midstate);
  p.c5 = _mm_sha256msg1_epu32(kM1, _mm_setzero_si128());
  p.c6 = _mm_sha256msg1_epu32(_mm_setzero_si128(), kM3);
  return p;
}

}  // namespace

namespace internal {

void ScanShaNi(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found) {
  const ShaPre p = MakeShaPre(work);
  const uint32_t target7 = work.target[7];
  uint64_t i = 0;
  for (; i + kNonces <= count; i += kNonces) {
    uint32_t base = start + static_cast<uint32_t>(i);
    uint32_t s7[kNonces];
    HashN<kNonces>(p, base, s7);
    for (int j = 0; j < kNonces; ++j) {
      if (__builtin_bswap32(s7[j]) <= target7) AppendIfMeetsTarget(work, base + j, found);
    }
  }
  for (; i < count; ++i) {
    uint32_t nonce = start + static_cast<uint32_t>(i);
    uint32_t s7[1];
    HashN<1>(p, nonce, s7);
    if (__builtin_bswap32(s7[0]) <= target7) AppendIfMeetsTarget(work, nonce, found);
  }
}

}  // namespace internal
}  // namespace synth::hash
