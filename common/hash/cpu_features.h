// File: common/hash/cpu_features.h
//
// What this x86-64 CPU and its OS support, for choosing hash cores: CPUID feature bits, and
// XGETBV for the register state the OS saves (AVX needs XCR0 bits 1-2 (SSE, YMM); AVX-512 also
// needs bits 5-7 (opmask, ZMM_Hi256, Hi16_ZMM)). On other architectures everything is false.
// Also the clock a core runs at, measured, to account hash rates in cycles per nonce.
//
//   if (DetectCpuFeatures().sha_ni) { ... }
//   double cycles_per_nonce = MeasureClockHz() / nonces_per_second_on_one_thread;
//
// Thread-safe: detection runs once; the result is immutable. MeasureClockHz may be called from
// any thread and measures the core that thread runs on.
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
  int family = 0;       // Display family (CPUID 1: base + extended), e.g. 25 for Zen 4.
  int model = 0;        // Display model (extended model << 4 | model), e.g. 17 or 207.
};

// Returns the features of the CPU this process runs on (cached after the first call).
const CpuFeatures& DetectCpuFeatures();

// Returns the clock of the core the calling thread runs on, in Hz: a chain of dependent
// register-register adds (one cycle each on every x86-64 core; add-immediate chains are not used
// because some cores fold them at rename) timed in this thread's CPU time, best of five slices of
// 2^22 adds (about 10 ms in all). 0 on other architectures. A CPU that lowers its clock for
// AVX-512 code runs the vector cores slower than this figure says.
double MeasureClockHz();

// Returns this thread's CPU time in seconds (CLOCK_THREAD_CPUTIME_ID): time the thread ran,
// whatever else the machine runs.
double ThreadCpuSeconds();

}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_CPU_FEATURES_H_
