// Benchmark baseline only (never dispatched): SHA-NI sha256d the plain way, one nonce at a time,
// two full 64-round compressions, no hoisting and no early exit: what a straightforward miner
// does. Compiled with -msha -msse4.1 -mssse3 like sha_ni_core.cc.
#include <immintrin.h>

#include "common/hash/cores.h"
#include "common/hash/precompute.h"

namespace synth::hash {
namespace {

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
        _mm_add_epi32(m[q & 3], _mm_load_si128(reinterpret_cast<const __m128i*>(kSha256K + 4 * q)));
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
