// The AVX2 core: the lane kernel with 8 nonces per ymm register (rotates as two shifts and an
// or; Maj in the form b ^ ((a ^ b) & (b ^ c)) so the compiler reuses a ^ b as the next round's
// b ^ c). This file alone is compiled with -mavx2.
#include <immintrin.h>

#include "common/hash/cores.h"
#include "common/hash/lane_kernel.h"

namespace synth::hash {
namespace {

struct Avx2Ops {
  using V = __m256i;
  static constexpr int kLanes = 8;
  static SYNTH_INLINE V Set1(uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
  static SYNTH_INLINE V Add(V a, V b) { return _mm256_add_epi32(a, b); }
  static SYNTH_INLINE V Xor(V a, V b) { return _mm256_xor_si256(a, b); }
  template <int N>
  static SYNTH_INLINE V Rotr(V x) {
    return _mm256_or_si256(_mm256_srli_epi32(x, N), _mm256_slli_epi32(x, 32 - N));
  }
  // x>>a ^ x>>b ^ x>>c ^ x<<(32-a) ^ ...: six shifts, five xors.
  template <int A, int B, int C>
  static SYNTH_INLINE V Sigma(V x) {
    V r = Xor(Xor(_mm256_srli_epi32(x, A), _mm256_srli_epi32(x, B)), _mm256_srli_epi32(x, C));
    V l = Xor(Xor(_mm256_slli_epi32(x, 32 - A), _mm256_slli_epi32(x, 32 - B)),
              _mm256_slli_epi32(x, 32 - C));
    return Xor(r, l);
  }
  static SYNTH_INLINE V BigS0(V x) { return Sigma<2, 13, 22>(x); }
  static SYNTH_INLINE V BigS1(V x) { return Sigma<6, 11, 25>(x); }
  static SYNTH_INLINE V SmallS0(V x) {
    return Xor(Xor(Rotr<7>(x), Rotr<18>(x)), _mm256_srli_epi32(x, 3));
  }
  static SYNTH_INLINE V SmallS1(V x) {
    return Xor(Xor(Rotr<17>(x), Rotr<19>(x)), _mm256_srli_epi32(x, 10));
  }
  static SYNTH_INLINE V Ch(V e, V f, V g) { return Xor(_mm256_and_si256(Xor(f, g), e), g); }
  static SYNTH_INLINE V Maj(V a, V b, V c) {
    return Xor(_mm256_and_si256(Xor(a, b), Xor(b, c)), b);
  }
  static SYNTH_INLINE V Bswap(V x) {
    const V shuffle = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3, 2,
                                       1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    return _mm256_shuffle_epi8(x, shuffle);
  }
  static SYNTH_INLINE V NonceW3(uint32_t base) {
    return Bswap(_mm256_add_epi32(Set1(base), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
  }
  static SYNTH_INLINE uint32_t CandidateMask(V s7, uint32_t target7) {
    V top = Bswap(s7);
    V le = _mm256_cmpeq_epi32(_mm256_min_epu32(top, Set1(target7)), top);
    return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(le)));
  }
};

}  // namespace

namespace internal {

void ScanAvx2(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found) {
  lanes::ScanLanes<Avx2Ops>(work, start, count, found);
}

void ScanRowAvx2(const ScanWork* works, int n, uint32_t start, uint64_t count,
                 std::vector<RowFound>* found) {
  lanes::ScanLanesRow<Avx2Ops>(works, n, start, count, found);
}

}  // namespace internal
}  // namespace synth::hash
