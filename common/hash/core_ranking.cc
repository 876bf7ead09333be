#include "common/hash/core_ranking.h"

#include <algorithm>
#include <utility>

#include "common/hash/cpu_features.h"

namespace synth::hash {
namespace {

// Header bytes i * 11 + 5 and a difficulty-1 target, what pool shares look like: candidates
// are rare, so the timing measures hashing and not the scalar re-check of candidates.
ScanWork TimingWork() {
  uint8_t header[80];
  for (int i = 0; i < 80; ++i) header[i] = static_cast<uint8_t>(i * 11 + 5);
  Target256 target{};
  target[6] = 0xffff0000;
  return MakeScanWork(header, target);
}

// 2^26 nonces take more than a second on one thread of any CPU core.
constexpr uint64_t kMaxChunk = uint64_t{1} << 26;

}  // namespace

ScanTimer::ScanTimer(std::function<double()> now)
    : now_(now ? std::move(now) : std::function<double()>(ThreadCpuSeconds)), work_(TimingWork()) {}

double ScanTimer::HashesPerSecond(const HashCore& core, double slice_seconds) {
  std::vector<uint32_t> found;
  const double start = now_();
  double rate = 0;
  for (uint64_t chunk = 64;; chunk *= 2) {
    if (uint64_t{next_nonce_} + chunk > (uint64_t{1} << 32)) next_nonce_ = 0;
    const double before = now_();
    core.Scan(work_, next_nonce_, chunk, &found);
    const double after = now_();
    next_nonce_ += static_cast<uint32_t>(chunk);
    found.clear();
    if (after > before) rate = static_cast<double>(chunk) / (after - before);
    if (after - before >= slice_seconds / 4 || after - start >= slice_seconds) return rate;
    if (chunk >= kMaxChunk) return rate;  // A clock that does not advance ends here.
  }
}

std::vector<CoreTiming> RankCores(std::span<const HashCore* const> cores, CoreTimer& timer,
                                  const TimingPlan& plan) {
  std::vector<CoreTiming> timings;
  for (const HashCore* core : cores) timings.push_back({core, 0});
  double leader = 0;
  for (int round = 0; round < plan.rounds; ++round) {
    const double bar = round == 0 ? 0 : leader * plan.contender_share;
    for (CoreTiming& t : timings) {
      if (t.hashes_per_second < bar) continue;
      t.hashes_per_second =
          std::max(t.hashes_per_second, timer.HashesPerSecond(*t.core, plan.slice_seconds));
      leader = std::max(leader, t.hashes_per_second);
    }
  }
  std::stable_sort(timings.begin(), timings.end(), [](const CoreTiming& a, const CoreTiming& b) {
    return a.hashes_per_second > b.hashes_per_second;
  });
  return timings;
}

}  // namespace synth::hash
