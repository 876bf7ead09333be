// Benchmark baseline only (never dispatched): SHA-NI sha256d the plain way, one nonce at a time,
// two full 64-round compressions, no hoisting and no early exit: what a straightforward miner
// does. Compiled with -msha -msse4.1 -mssse3 like sha_ni_core.cc.
#include <immintrin.h>

#include "common/hash/cores.h"
#include "common/hash/precompute.h"

namespace synth::hash {
namespace {

alignas(16) constexpr uint32_t kK[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

__m128i Set(const uint32_t* w) {
  return _mm_setr_epi32(static_cast<int>(w[0]), static_cast<int>(w[1]), static_cast<int>(w[2]),
                        static_cast<int>(w[3]));
}

// One full compression of message words w[0..15] into state s[0..7].
void Compress(uint32_t* s, const uint32_t* w) {
  const uint32_t abef_s[4] = {s[5], s[4], s[1], s[0]}, cdgh_s[4] = {s[7], s[6], s[3], s[2]};
  __m128i abef = Set(abef_s), cdgh = Set(cdgh_s);
  const __m128i abef0 = abef, cdgh0 = cdgh;
  __m128i m[4] = {Set(w), Set(w + 4), Set(w + 8), Set(w + 12)};
  for (int q = 0; q < 16; ++q) {
    if (q >= 4) {
      __m128i x = _mm_add_epi32(_mm_sha256msg1_epu32(m[q & 3], m[(q + 1) & 3]),
                                _mm_alignr_epi8(m[(q + 3) & 3], m[(q + 2) & 3], 4));
      m[q & 3] = _mm_sha256msg2_epu32(x, m[(q + 3) & 3]);
    }
    __m128i wk =
        _mm_add_epi32(m[q & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(kK + 4 * q)));
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
    abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0e));
  }
  abef = _mm_add_epi32(abef, abef0);
  cdgh = _mm_add_epi32(cdgh, cdgh0);
  uint32_t o1[4], o2[4];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o1), abef);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(o2), cdgh);
  s[0] = o1[3], s[1] = o1[2], s[4] = o1[1], s[5] = o1[0];
  s[2] = o2[3], s[3] = o2[2], s[6] = o2[1], s[7] = o2[0];
}

}  // namespace

namespace internal {

void ScanShaNiPlain(const ScanWork& work, uint32_t start, uint64_t count,
                    std::vector<uint32_t>* found) {
  const Precomp pre = MakePrecomp(work);  // Only for the tail words and the midstate.
  uint32_t block[16] = {pre.w[0], pre.w[1], pre.w[2], 0, 0x80000000u, 0, 0, 0,
                        0,        0,        0,        0, 0,           0, 0, 640};
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t nonce = start + static_cast<uint32_t>(i);
    block[3] = __builtin_bswap32(nonce);
    uint32_t s[8], second[16] = {};
    for (int k = 0; k < 8; ++k) s[k] = pre.midstate[k];
    Compress(s, block);
    for (int k = 0; k < 8; ++k) second[k] = s[k];
    second[8] = 0x80000000u;
    second[15] = 256;
    const uint32_t iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (int k = 0; k < 8; ++k) s[k] = iv[k];
    Compress(s, second);
    if (__builtin_bswap32(s[7]) <= work.target[7]) AppendIfMeetsTarget(work, nonce, found);
  }
}

}  // namespace internal
}  // namespace synth::hash
