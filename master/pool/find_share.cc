#include "master/pool/find_share.h"

#include <algorithm>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bitcoin/uint256.h"
#include "common/hash/dispatch.h"

namespace synth::pool {

std::optional<uint32_t> FindNonce(const stratum::StratumJob& job,
                                  std::span<const uint8_t> extranonce1,
                                  std::span<const uint8_t> extranonce2, uint32_t version,
                                  uint32_t ntime, double difficulty, uint32_t start,
                                  uint64_t max_count, bool miss) {
  absl::StatusOr<bitcoin::Uint256> target = bitcoin::TargetFromDifficulty(difficulty);
  if (!target.ok()) return std::nullopt;
  hash::ScanWork work =
      stratum::BuildScanWork(job, extranonce1, extranonce2, version, ntime, target->words());
  if (miss) {
    for (uint64_t i = 0; i < max_count; ++i) {
      uint32_t n = static_cast<uint32_t>(start + i);
      if (!hash::MeetsTarget(hash::HashNonce(work, n), work.target)) return n;
    }
    return std::nullopt;
  }
  absl::StatusOr<const hash::HashCore*> core = hash::SelectCore("auto");
  if (!core.ok()) return std::nullopt;
  constexpr uint64_t kChunk = 1 << 16;
  for (uint64_t done = 0; done < max_count; done += kChunk) {
    uint64_t first = start + done;
    if (first >= (uint64_t{1} << 32)) break;
    uint64_t count = std::min({kChunk, max_count - done, (uint64_t{1} << 32) - first});
    std::vector<uint32_t> found;
    (*core)->Scan(work, static_cast<uint32_t>(first), count, &found);
    if (!found.empty()) return found.front();
  }
  return std::nullopt;
}

}  // namespace synth::pool
