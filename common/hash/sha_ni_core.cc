// The SHA-NI core: SHA256RNDS2 does two rounds on the state held as ABEF/CDGH, SHA256MSG1/2
// extend the message four words at a time. kNonces independent nonces are interleaved stage by
// stage (sha_ni_kernel.h) to cover RNDS2's latency. This file alone is compiled with
// -msha -msse4.1 -mssse3.
//
// Per nonce: first hash from round 2 (rounds 0..1 hoisted; 31 RNDS2), the schedule groups that
// hold only padding precomputed; second hash rounds 0..61 (31 RNDS2): after 62 rounds, F of ABEF
// is e after round 60, which fixes final word 7. 6 nonces measured best on Zen 4 (HASHING.md).
#include "common/hash/cores.h"
#include "common/hash/sha_ni_kernel.h"

namespace synth::hash {
namespace {

constexpr int kNonces = 6;

}  // namespace

namespace internal {

void ScanShaNi(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found) {
  const shani::ShaPre p = shani::MakeShaPre(work);
  const uint32_t target7 = work.target[7];
  uint64_t i = 0;
  for (; i + kNonces <= count; i += kNonces) {
    uint32_t base = start + static_cast<uint32_t>(i);
    uint32_t s7[kNonces];
    shani::ShaNonces<kNonces> lanes;
    lanes.Run(p, base, s7);
    for (int j = 0; j < kNonces; ++j) {
      if (__builtin_bswap32(s7[j]) <= target7) AppendIfMeetsTarget(work, base + j, found);
    }
  }
  for (; i < count; ++i) {
    uint32_t nonce = start + static_cast<uint32_t>(i);
    uint32_t s7[1];
    shani::ShaNonces<1> lane;
    lane.Run(p, nonce, s7);
    if (__builtin_bswap32(s7[0]) <= target7) AppendIfMeetsTarget(work, nonce, found);
  }
}

}  // namespace internal
}  // namespace synth::hash
