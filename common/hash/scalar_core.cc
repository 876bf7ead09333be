// The portable core: the lane kernel with one 32-bit lane. Compiled without ISA flags.
#include <bit>

#include "common/hash/cores.h"
#include "common/hash/lane_kernel.h"

namespace synth::hash {
namespace {

struct ScalarOps {
  using V = uint32_t;
  static constexpr int kLanes = 1;
  static SYNTH_INLINE V Set1(uint32_t x) { return x; }
  static SYNTH_INLINE V Add(V a, V b) { return a + b; }
  static SYNTH_INLINE V BigS0(V x) { return std::rotr(x, 2) ^ std::rotr(x, 13) ^ std::rotr(x, 22); }
  static SYNTH_INLINE V BigS1(V x) { return std::rotr(x, 6) ^ std::rotr(x, 11) ^ std::rotr(x, 25); }
  static SYNTH_INLINE V SmallS0(V x) { return std::rotr(x, 7) ^ std::rotr(x, 18) ^ (x >> 3); }
  static SYNTH_INLINE V SmallS1(V x) { return std::rotr(x, 17) ^ std::rotr(x, 19) ^ (x >> 10); }
  static SYNTH_INLINE V Ch(V e, V f, V g) { return ((f ^ g) & e) ^ g; }
  static SYNTH_INLINE V Maj(V a, V b, V c) { return ((a ^ b) & (b ^ c)) ^ b; }
  static SYNTH_INLINE V NonceW3(uint32_t base) { return __builtin_bswap32(base); }
  static SYNTH_INLINE uint32_t CandidateMask(V s7, uint32_t target7) {
    return __builtin_bswap32(s7) <= target7 ? 1 : 0;
  }
};

}  // namespace

namespace internal {

void ScanScalar(const ScanWork& work, uint32_t start, uint64_t count,
                std::vector<uint32_t>* found) {
  lanes::ScanLanes<ScalarOps>(work, start, count, found);
}

void ScanRowScalar(const ScanWork* works, int n, uint32_t start, uint64_t count,
                   std::vector<RowFound>* found) {
  lanes::ScanLanesRow<ScalarOps>(works, n, start, count, found);
}

}  // namespace internal
}  // namespace synth::hash
