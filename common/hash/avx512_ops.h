// File: common/hash/avx512_ops.h
//
// The AVX-512 primitives of the lane kernel (lane_kernel.h): 16 nonces per zmm register,
// vprord rotates, vpternlogd for Ch (0xca), Maj (0xe8) and the three-way xors (0x96).
// Included only by files compiled with -mavx512f -mavx512vl -mavx512bw (avx512_core.cc,
// hybrid_core.cc); the unnamed namespace keeps every copy private to its file.
#ifndef SYNTH_COMMON_HASH_AVX512_OPS_H_
#define SYNTH_COMMON_HASH_AVX512_OPS_H_

#include <immintrin.h>

#include <cstdint>

#include "common/hash/lane_kernel.h"

namespace synth::hash {
namespace {

struct Avx512Ops {
  using V = __m512i;
  static constexpr int kLanes = 16;
  static SYNTH_INLINE V Set1(uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
  static SYNTH_INLINE V Add(V a, V b) { return _mm512_add_epi32(a, b); }
  static SYNTH_INLINE V Xor3(V a, V b, V c) { return _mm512_ternarylogic_epi32(a, b, c, 0x96); }
  static SYNTH_INLINE V BigS0(V x) {
    return Xor3(_mm512_ror_epi32(x, 2), _mm512_ror_epi32(x, 13), _mm512_ror_epi32(x, 22));
  }
  static SYNTH_INLINE V BigS1(V x) {
    return Xor3(_mm512_ror_epi32(x, 6), _mm512_ror_epi32(x, 11), _mm512_ror_epi32(x, 25));
  }
  static SYNTH_INLINE V SmallS0(V x) {
    return Xor3(_mm512_ror_epi32(x, 7), _mm512_ror_epi32(x, 18), _mm512_srli_epi32(x, 3));
  }
  static SYNTH_INLINE V SmallS1(V x) {
    return Xor3(_mm512_ror_epi32(x, 17), _mm512_ror_epi32(x, 19), _mm512_srli_epi32(x, 10));
  }
  static SYNTH_INLINE V Ch(V e, V f, V g) { return _mm512_ternarylogic_epi32(e, f, g, 0xca); }
  static SYNTH_INLINE V Maj(V a, V b, V c) { return _mm512_ternarylogic_epi32(a, b, c, 0xe8); }
  static SYNTH_INLINE V Bswap(V x) {
    const V shuffle =
        _mm512_broadcast_i32x4(_mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    return _mm512_shuffle_epi8(x, shuffle);
  }
  static SYNTH_INLINE V NonceW3(uint32_t base) {
    const V lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return Bswap(_mm512_add_epi32(Set1(base), lane));
  }
  static SYNTH_INLINE uint32_t CandidateMask(V s7, uint32_t target7) {
    return _mm512_cmple_epu32_mask(Bswap(s7), Set1(target7));
  }
};

}  // namespace
}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_AVX512_OPS_H_
