// File: common/hash/cores.h
//
// The CPU hash cores, one per file, each compiled with its own ISA flags (see CMakeLists.txt).
// Use dispatch.h to pick one; these accessors are for the dispatcher, tests and benchmarks.
//
//   const HashCore& core = Avx512Core();
//   if (core.Supported()) core.Scan(work, 0, 1 << 20, &found);
//
// Thread-safe: the cores are stateless singletons.
#ifndef SYNTH_COMMON_HASH_CORES_H_
#define SYNTH_COMMON_HASH_CORES_H_

#include "common/hash/scan.h"

namespace synth::hash {

// Portable C++, one nonce at a time, with the per-midstate precomputation and early exit.
const HashCore& ScalarCore();
// SHA extensions (SHA256RNDS2), several nonces interleaved.
const HashCore& ShaNiCore();
// AVX2, 8 nonces per 256-bit vector.
const HashCore& Avx2Core();
// AVX-512 F/VL, 16 nonces per 512-bit vector, vprord and vpternlogd.
const HashCore& Avx512Core();
// AVX-512 (16 lanes) and SHA-NI interleaved in one loop, in three mixes (hybrid_core.cc):
// "avx512-sha" 3 SHA-NI nonces with a stage every 2nd AVX-512 round, "avx512-sha2" 2 every 2nd,
// "avx512-sha1" 1 every 3rd. Which is fastest depends on the host's SHA-NI throughput.
const HashCore& HybridCore();
const HashCore& Hybrid2Core();
const HashCore& Hybrid1Core();
// Baselines for benchmarks only (never dispatched): the same ISAs without the hoisting and
// early exit, hashing the full 2 x 64 rounds like a plain miner.
const HashCore& ShaNiPlainCore();

namespace internal {

// The scan loops behind the cores above, one per ISA file (HashCore::Scan contract). Callers
// must check the ISA first; cores.cc wraps them as HashCores.
void ScanScalar(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found);
void ScanShaNi(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found);
void ScanShaNiPlain(const ScanWork& work, uint32_t start, uint64_t count,
                    std::vector<uint32_t>* found);
void ScanAvx2(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found);
void ScanHybrid(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found);
void ScanHybrid2(const ScanWork& work, uint32_t start, uint64_t count,
                 std::vector<uint32_t>* found);
void ScanHybrid1(const ScanWork& work, uint32_t start, uint64_t count,
                 std::vector<uint32_t>* found);
void ScanAvx512(const ScanWork& work, uint32_t start, uint64_t count, std::vector<uint32_t>* found);

// The row loops (HashCore::ScanRow) of the lane cores: works[0..n) share their tail and target
// (SharesTail), 2 <= n <= kMaxRowWorks; found work indexes are relative to `works`.
void ScanRowScalar(const ScanWork* works, int n, uint32_t start, uint64_t count,
                   std::vector<RowFound>* found);
void ScanRowAvx2(const ScanWork* works, int n, uint32_t start, uint64_t count,
                 std::vector<RowFound>* found);
void ScanRowAvx512(const ScanWork* works, int n, uint32_t start, uint64_t count,
                   std::vector<RowFound>* found);

}  // namespace internal
}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_CORES_H_
