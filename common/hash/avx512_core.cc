// The AVX-512 core: the lane kernel with 16 nonces per zmm register (avx512_ops.h). This file
// alone is compiled with -mavx512f -mavx512vl -mavx512bw; the dispatcher calls it only when
// CPUID and XCR0 say the CPU and OS support it.
#include "common/hash/avx512_ops.h"
#include "common/hash/cores.h"
#include "common/hash/lane_kernel.h"

namespace synth::hash::internal {

void ScanAvx512(const ScanWork& work, uint32_t start, uint64_t count,
                std::vector<uint32_t>* found) {
  lanes::ScanLanes<Avx512Ops>(work, start, count, found);
}

void ScanRowAvx512(const ScanWork* works, int n, uint32_t start, uint64_t count,
                   std::vector<RowFound>* found) {
  lanes::ScanLanesRow<Avx512Ops>(works, n, start, count, found);
}

}  // namespace synth::hash::internal
