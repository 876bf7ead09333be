#include "kernels/tuning.h"

#include <iterator>

namespace synth::kernels {
namespace {

// {cc, threads/block, nonces/thread, add mode (1 midstate), rolling add mode, rolling
//  nonces/thread, rolling threads/block, first launch, target batch ms, max midstates}
constexpr KernelTuning kTable[] = {
    {0, 256, 8, 13, 6, 1, 512, uint64_t{1} << 22, 15},      // Fallback.
    {75, 256, 8, 13, 6, 1, 512, uint64_t{1} << 23, 15},     // Turing.
    {80, 256, 8, 13, 6, 1, 512, uint64_t{1} << 25, 15},     // A100.
    {86, 256, 8, 13, 6, 1, 512, uint64_t{1} << 24, 15},     // GA10x.
    {89, 256, 8, 13, 6, 1, 512, uint64_t{1} << 25, 15},     // AD10x.
    {90, 256, 8, 13, 6, 1, 512, uint64_t{1} << 26, 15, 4},  // H100 / H200 (measured, docs/GPU.md).
    {120, 256, 8, 13, 6, 1, 512, uint64_t{1} << 25, 15},    // GB20x.
};

}  // namespace

KernelTuning TuningFor(int major, int minor) {
  const int cc = major * 10 + minor;
  const KernelTuning* best = &kTable[0];
  for (const KernelTuning& row : kTable) {
    if (row.cc == cc) return row;
    if (row.cc / 10 == major && row.cc < cc && row.cc > best->cc) best = &row;
  }
  KernelTuning result = *best;
  result.cc = cc;
  return result;
}

}  // namespace synth::kernels
