// File: master/pool/find_share.h
//
// Test and demo helper: hashes nonces of one (job, extranonce, version, ntime) with the fastest
// CPU core until one meets a difficulty, as a miner would. Keep difficulties tiny (1e-5 needs
// ~43k hashes on average).
//
//   std::optional<uint32_t> nonce = FindNonce(job, en1, en2, job.version, job.ntime, 1e-5);
//
// Thread-safe: pure function.
#ifndef SYNTH_MASTER_POOL_FIND_SHARE_H_
#define SYNTH_MASTER_POOL_FIND_SHARE_H_

#include <cstdint>
#include <optional>
#include <span>

#include "common/stratum/job.h"

namespace synth::pool {

// Returns the first nonce from `start` (within `max_count` nonces) whose header meets
// `difficulty`, or nullopt. With `miss`, returns the first nonce that does NOT meet it.
std::optional<uint32_t> FindNonce(const stratum::StratumJob& job,
                                  std::span<const uint8_t> extranonce1,
                                  std::span<const uint8_t> extranonce2, uint32_t version,
                                  uint32_t ntime, double difficulty, uint32_t start = 0,
                                  uint64_t max_count = uint64_t{1} << 26, bool miss = false);

}  // namespace synth::pool

#endif  // SYNTH_MASTER_POOL_FIND_SHARE_H_
