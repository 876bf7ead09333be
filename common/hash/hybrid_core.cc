// The hybrid cores: 16 nonces in AVX-512 lanes and kShaNonces more through SHA-NI in the same
// loop, the SHA-NI stages spread between the AVX-512 rounds so the out-of-order core runs both
// at once. On Zen 4 SHA256RNDS2 is throughput-bound on its own unit while the AVX-512 kernel is
// bound by the vector ALUs, so the SHA-NI nonces use issue slots the AVX-512 code leaves free.
// This file alone is compiled with -mavx512f -mavx512vl -mavx512bw -msha -msse4.1 -mssse3.
// On the Intel hosts measured, each switch between a zmm instruction and a legacy-SSE one (the
// SHA instructions have no VEX form) costs hundreds of cycles, so the hybrids run at ~0.3 MH/s
// there (docs/HASHING.md); the dispatcher times them against the others and picks one only where
// it is fastest.
#include "common/hash/avx512_ops.h"
#include "common/hash/cores.h"
#include "common/hash/lane_kernel.h"
#include "common/hash/sha_ni_kernel.h"

namespace synth::hash {
namespace {

// The mix: kShaNonces SHA-NI nonces per 16 AVX-512 lanes, one SHA-NI stage after every kEvery
// AVX-512 rounds. Swept on one Zen 4 host (1 thread, MH/s; avx512 alone ~46): (SHA nonces,
// rounds per stage) = (1,3) 48.1, (2,2) 50.8, (2,3) 46.7, (3,2) 51.6, (3,3) 52.8, (3,4) 34.1,
// (4,2) 44.7, (4,3) 43.1, (5,3) 40.4; (3,3) measured 43.9 ten minutes later with identical code.
// The optimum is sharp (more SHA-NI nonces spill the xmm0-15 that are also the low halves of
// zmm0-15) and moves with the host's SHA-NI throughput, so three mixes are compiled, (3,2),
// (2,2) and (1,3), each a core of its own, and the dispatcher's start-up timing picks per host.
constexpr int kStages = 32;

template <int kShaNonces, int kEvery>
struct ShaHook {
  const shani::ShaPre* p;
  uint32_t base;
  uint32_t s7[kShaNonces];
  shani::ShaNonces<kShaNonces> sha;

  template <int K>
  SYNTH_INLINE void After() {
    if constexpr (K % kEvery == kEvery - 1 && K / kEvery < kStages) {
      sha.template Stage<K / kEvery>(*p, base, s7);
    }
  }
  // Runs the stages that did not fit between the 119 AVX-512 rounds.
  template <int... S>
  SYNTH_INLINE void Rest(std::integer_sequence<int, S...>) {
    constexpr int kDone = 119 / kEvery < kStages ? 119 / kEvery : kStages;
    ((S >= kDone ? sha.template Stage<(S < kStages ? S : 0)>(*p, base, s7) : void()), ...);
  }
};

template <int kShaNonces, int kEvery>
void ScanMix(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found) {
  constexpr uint64_t kBlock = 16 + kShaNonces;
  const Precomp p = MakePrecomp(work);
  const shani::ShaPre sp = shani::MakeShaPre(work);
  uint64_t i = 0;
  for (; i + kBlock <= count; i += kBlock) {
    const uint32_t base = start + static_cast<uint32_t>(i);
    ShaHook<kShaNonces, kEvery> hook{&sp, base + 16, {}, {}};
    __m512i s7 = lanes::Kernel<Avx512Ops>::HashS7(p, base, hook);
    hook.Rest(std::make_integer_sequence<int, kStages>());
    uint32_t mask = Avx512Ops::CandidateMask(s7, p.target7);
    while (mask != 0) {
      AppendIfMeetsTarget(work, base + static_cast<uint32_t>(__builtin_ctz(mask)), found);
      mask &= mask - 1;
    }
    for (int j = 0; j < kShaNonces; ++j) {
      if (__builtin_bswap32(hook.s7[j]) <= p.target7)
        AppendIfMeetsTarget(work, base + 16 + j, found);
    }
  }
  if (i < count) {
    lanes::ScanLanes<Avx512Ops>(work, start + static_cast<uint32_t>(i), count - i, found);
  }
}

}  // namespace

namespace internal {

void ScanHybrid(const ScanWork& work, uint32_t start, uint64_t count,
                std::vector<uint32_t>* found) {
  ScanMix<3, 2>(work, start, count, found);
}

void ScanHybrid2(const ScanWork& work, uint32_t start, uint64_t count,
                 std::vector<uint32_t>* found) {
  ScanMix<2, 2>(work, start, count, found);
}

void ScanHybrid1(const ScanWork& work, uint32_t start, uint64_t count,
                 std::vector<uint32_t>* found) {
  ScanMix<1, 3>(work, start, count, found);
}

}  // namespace internal
}  // namespace synth::hash
