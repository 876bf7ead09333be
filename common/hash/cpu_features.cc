#include "common/hash/cpu_features.h"

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SYNTH_X86 1
#endif

namespace synth::hash {
namespace {

#ifdef SYNTH_X86
uint64_t ReadXcr0() {
  uint32_t eax, edx;
  // xgetbv with ecx = 0; encoded as bytes so no -mxsave flag is needed.
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t{edx} << 32) | eax;
}

std::string Brand() {
  unsigned int max = __get_cpuid_max(0x80000000, nullptr);
  if (max < 0x80000004) return "unknown";
  char text[49] = {};
  for (unsigned int leaf = 0; leaf < 3; ++leaf) {
    unsigned int r[4];
    __cpuid(0x80000002 + leaf, r[0], r[1], r[2], r[3]);
    std::memcpy(text + 16 * leaf, r, 16);
  }
  std::string s(text);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  size_t first = s.find_first_not_of(' ');
  return first == std::string::npos ? s : s.substr(first);
}

CpuFeatures Detect() {
  CpuFeatures f;
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  f.ssse3 = (ecx >> 9) & 1;
  f.sse41 = (ecx >> 19) & 1;
  const bool osxsave = (ecx >> 27) & 1;
  const bool avx = (ecx >> 28) & 1;
  uint64_t xcr0 = osxsave ? ReadXcr0() : 0;
  const bool os_ymm = (xcr0 & 0x6) == 0x6;
  const bool os_zmm = (xcr0 & 0xe6) == 0xe6;
  f.brand = Brand();
  const int base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
  f.family = base_family == 0xf ? base_family + static_cast<int>((eax >> 20) & 0xff) : base_family;
  f.model = base_family == 0x6 || base_family == 0xf
                ? static_cast<int>(((eax >> 16) & 0xf) << 4) | base_model
                : base_model;
  unsigned int vendor[4];
  __cpuid(0, vendor[0], vendor[1], vendor[2], vendor[3]);
  f.amd = vendor[1] == 0x68747541 && vendor[3] == 0x69746e65 && vendor[2] == 0x444d4163;
  if (__get_cpuid_max(0, nullptr) < 7) return f;
  __cpuid_count(7, 0, eax, ebx, ecx, edx);
  f.sha_ni = ((ebx >> 29) & 1) && f.sse41 && f.ssse3;
  f.avx2 = avx && os_ymm && ((ebx >> 5) & 1);
  const bool avx512f = (ebx >> 16) & 1, avx512bw = (ebx >> 30) & 1, avx512vl = (ebx >> 31) & 1;
  f.avx512 = f.avx2 && os_zmm && avx512f && avx512bw && avx512vl;
  return f;
}

// Returns adds per second of one dependent chain of 2^22 register adds.
double AddChainRate() {
  constexpr uint64_t kAdds = uint64_t{1} << 22;
  uint64_t x = 0;
  const uint64_t one = 1;
  const double start = ThreadCpuSeconds();
  for (uint64_t i = 0; i < kAdds; i += 16) {
    __asm__ volatile(".rept 16\n\tadd %1, %0\n\t.endr" : "+r"(x) : "r"(one));
  }
  const double seconds = ThreadCpuSeconds() - start;
  return seconds > 0 ? kAdds / seconds : 0;
}
#else
CpuFeatures Detect() { return CpuFeatures{}; }
#endif

}  // namespace

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double MeasureClockHz() {
#ifdef SYNTH_X86
  double best = 0;
  for (int slice = 0; slice < 5; ++slice) best = std::max(best, AddChainRate());
  return best;
#else
  return 0;
#endif
}

const CpuFeatures& DetectCpuFeatures() {
  static const CpuFeatures* features = new CpuFeatures(Detect());
  return *features;
}

}  // namespace synth::hash
