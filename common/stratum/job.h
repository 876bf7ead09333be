// File: common/stratum/job.h
//
// A validated model of a Stratum V1 `mining.notify` job, and the header it produces.
//
//   params = [job_id, prevhash, coinb1, coinb2, merkle_branch[], version, nbits, ntime, clean]
//   ASSIGN_OR_RETURN(StratumJob job, ParseNotifyParams(msg["params"]));
//   ASSIGN_OR_RETURN(std::vector<uint8_t> en1, ParseExtranonce1(subscribe_result[1]));
//   RETURN_IF_ERROR(CheckExtranonce2Size(subscribe_result[2]));
//   bitcoin::BlockHeader h = BuildHeader(job, en1, extranonce2, version, ntime, nonce);
//
// Byte orders (docs/DESIGN.md §3): `prevhash` on the wire is the internal-order hash
// with each 4-byte word byte-reversed; version, nbits and ntime are 8-hex big-endian numbers;
// branch entries are internal-order hashes. Every parse error is InvalidArgument naming the
// field. Thread-safe: pure functions over value types.
#ifndef SYNTH_COMMON_STRATUM_JOB_H_
#define SYNTH_COMMON_STRATUM_JOB_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/bitcoin/header.h"
#include "common/hash/scan.h"
#include "nlohmann/json.hpp"

namespace synth::stratum {

// Limits a job must respect; anything beyond is treated as hostile input.
inline constexpr size_t kMaxJobIdLength = 128;
inline constexpr size_t kMaxCoinbasePartBytes = 16 * 1024;
inline constexpr size_t kMaxMerkleBranch = 32;  // 2^32 transactions.
inline constexpr size_t kMaxExtranonce1Bytes = 32;
inline constexpr int kMaxExtranonce2Size = 16;  // cgminer stops at 8, ckpool allows 2..8.

struct StratumJob {
  std::string job_id;
  bitcoin::Hash256 prev_hash{};  // Header bytes 4..35 (internal order).
  std::vector<uint8_t> coinb1;
  std::vector<uint8_t> coinb2;
  std::vector<bitcoin::Hash256> merkle_branch;  // Internal order.
  uint32_t version = 0;
  uint32_t nbits = 0;
  uint32_t ntime = 0;
  bool clean_jobs = false;

  friend bool operator==(const StratumJob&, const StratumJob&) = default;
};

// Validates and decodes mining.notify params (a JSON array of 9 values; values after the ninth
// are ignored). Checks every field's type, hex and length, and that nbits decodes to a block
// target (TargetFromBits).
absl::StatusOr<StratumJob> ParseNotifyParams(const nlohmann::json& params);

// Decodes extranonce1 as a pool sends it (mining.subscribe result, mining.set_extranonce): hex of
// 0..kMaxExtranonce1Bytes bytes. Errors name "extranonce1".
absl::StatusOr<std::vector<uint8_t>> ParseExtranonce1(std::string_view hex);

// Checks an extranonce2_size from the pool: 1..kMaxExtranonce2Size. Errors name
// "extranonce2_size".
absl::Status CheckExtranonce2Size(int size);

// Decodes extranonce2 hex that must be exactly `size` bytes, as the coinbase holds it and
// mining.submit carries it. Errors name "extranonce2".
absl::StatusOr<std::vector<uint8_t>> ParseExtranonce2(std::string_view hex, int size);

// Encodes a job as mining.notify params (what a pool sends).
nlohmann::json ToNotifyParams(const StratumJob& job);

// Converts between header-order prev hash and Stratum's word-swapped hex.
std::string PrevHashToStratum(const bitcoin::Hash256& prev_hash);
absl::StatusOr<bitcoin::Hash256> PrevHashFromStratum(std::string_view hex);

// Returns the merkle root for one extranonce pair.
bitcoin::Hash256 JobMerkleRoot(const StratumJob& job, std::span<const uint8_t> extranonce1,
                               std::span<const uint8_t> extranonce2);

// Returns the block header for (job, extranonce1, extranonce2, version, ntime, nonce).
bitcoin::BlockHeader BuildHeader(const StratumJob& job, std::span<const uint8_t> extranonce1,
                                 std::span<const uint8_t> extranonce2, uint32_t version,
                                 uint32_t ntime, uint32_t nonce);

// Returns the hashing work (midstate, tail, target) for the header with nonce left open.
hash::ScanWork BuildScanWork(const StratumJob& job, std::span<const uint8_t> extranonce1,
                             std::span<const uint8_t> extranonce2, uint32_t version, uint32_t ntime,
                             const hash::Target256& target);

}  // namespace synth::stratum

#endif  // SYNTH_COMMON_STRATUM_JOB_H_
