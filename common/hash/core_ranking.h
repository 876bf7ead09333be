// File: common/hash/core_ranking.h
//
// Ranks hash cores by timing each for a few milliseconds on this machine. No rule by vendor or
// ISA predicts the fastest core: the AVX-512 + SHA-NI hybrid is the fastest core on one Zen 4
// host, slower than plain AVX-512 on another, and 80x slower on Intel (docs/HASHING.md
// "Dispatch"). The timer is an interface, so the ranking is tested with fake cores of known speed.
//
//   ScanTimer timer;  // times real Scan() calls in this thread's CPU time
//   std::vector<CoreTiming> ranked = RankCores(cores, timer, kStartupTiming);
//   const HashCore* fastest = ranked.front().core;
//
// Thread-compatibility: a CoreTimer is used by one thread at a time; RankCores runs on the
// calling thread and hashes there.
#ifndef SYNTH_COMMON_HASH_CORE_RANKING_H_
#define SYNTH_COMMON_HASH_CORE_RANKING_H_

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "common/hash/scan.h"

namespace synth::hash {

// One core's measured rate on one thread.
struct CoreTiming {
  const HashCore* core = nullptr;
  double hashes_per_second = 0;  // The best of its timed slices.
};

// Measures how fast a core hashes. The seam of RankCores.
class CoreTimer {
 public:
  virtual ~CoreTimer() = default;

  // Hashes with `core` for about `slice_seconds` and returns its rate in hashes per second.
  virtual double HashesPerSecond(const HashCore& core, double slice_seconds) = 0;
};

// Times real Scan() calls on a fixed difficulty-1 work: chunks of 64, 128, 256, ... nonces
// until one chunk takes at least a quarter of the slice (or the slice is spent); the rate is
// that last chunk's. A slice therefore costs about one slice of time whatever the core's speed
// (a 0.1 MH/s core and a 50 MH/s core alike). `now` returns seconds; by default this thread's
// CPU time, so that other processes on a busy machine do not skew the comparison.
class ScanTimer final : public CoreTimer {
 public:
  explicit ScanTimer(std::function<double()> now = nullptr);

  double HashesPerSecond(const HashCore& core, double slice_seconds) override;

 private:
  const std::function<double()> now_;
  const ScanWork work_;
  uint32_t next_nonce_ = 0;  // Each chunk hashes new nonces.
};

// How long RankCores times: a first pass over every core, then `rounds - 1` more passes over
// the contenders (cores whose best so far is within `contender_share` of the leader's),
// `slice_seconds` per core per pass.
struct TimingPlan {
  int rounds = 3;
  double slice_seconds = 0.007;
  double contender_share = 0.75;
};

// The dispatcher's start-up plan: 7 ms per core, then two more slices for the contenders; at
// most 7 x 3 x 7 ms = 147 ms for the seven cores, 77 ms where one core leads clearly.
inline constexpr TimingPlan kStartupTiming{3, 0.007, 0.75};

// Times each core of `cores` once, then the contenders `plan.rounds - 1` more times,
// round-robin (so a clock ramp or a burst of load from elsewhere falls on every core alike),
// keeps each core's best slice and returns the cores fastest first; cores with equal rates keep
// their order in `cores`.
std::vector<CoreTiming> RankCores(std::span<const HashCore* const> cores, CoreTimer& timer,
                                  const TimingPlan& plan = kStartupTiming);

}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_CORE_RANKING_H_
