// File: common/hash/cpu_features.h
//
// What this x86-64 CPU and its OS support, for choosing hash cores: CPUID feature bits, and
// XGETBV for the register state the OS saves (AVX needs XCR0 bits 1-2 (SSE, YMM); AVX-512 also
// needs bits 5-7 (opmask, ZMM_Hi256, Hi16_ZMM)). On other architectures everything is false.
//
//   if (DetectCpuFeatures().sha_ni) { ... }
//
// Thread-safe: detection runs once; the result is immutable.
#ifndef SYNTH_COMMON_HASH_CPU_FEATURES_H_
#define SYNTH_COMMON_HASH_CPU_FEATURES_H_

#include <string>

namespace synth::hash {

struct CpuFeatures {
  bool ssse3 = false;
  bool sse41 = false;
  bool sha_ni = false;  // SHA extensions (CPUID 7.0:EBX bit 29) with SSE4.1.
  bool avx2 = false;    // AVX2 and OS YMM state.
  bool avx512 = false;  // AVX-512 F + VL + BW and OS opmask/ZMM state.
  bool amd = false;     // CPUID vendor "AuthenticAMD".
  std::string brand;    // CPU brand string, e.g. "AMD EPYC 9R14".
};

// Returns the features of the CPU this process runs on (cached after the first call).
const CpuFeatures& DetectCpuFeatures();

}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_CPU_FEATURES_H_
