#include "common/stratum/job.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/bitcoin/merkle.h"
#include "common/bitcoin/uint256.h"
#include "common/status_macros.h"

namespace synth::stratum {
namespace {

using bitcoin::Hash256;
using nlohmann::json;

absl::StatusOr<std::string> GetHexString(const json& v, std::string_view field) {
  if (!v.is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": expected a hex string, got ", v.type_name()));
  }
  return v.get<std::string>();
}

absl::StatusOr<std::vector<uint8_t>> GetCoinbasePart(const json& v, std::string_view field) {
  ASSIGN_OR_RETURN(std::string hex, GetHexString(v, field));
  if (hex.size() > 2 * kMaxCoinbasePartBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": longer than ", kMaxCoinbasePartBytes, " bytes"));
  }
  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, bitcoin::HexToBytes(hex, field));
  if (bytes.empty()) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": empty"));
  return bytes;
}

absl::StatusOr<uint32_t> GetU32(const json& v, std::string_view field) {
  ASSIGN_OR_RETURN(std::string hex, GetHexString(v, field));
  return bitcoin::HexToU32BigEndian(hex, field);
}

absl::StatusOr<std::vector<Hash256>> GetBranch(const json& v) {
  if (!v.is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat("merkle_branch: expected an array, got ", v.type_name()));
  }
  if (v.size() > kMaxMerkleBranch) {
    return absl::InvalidArgumentError(
        absl::StrCat("merkle_branch: ", v.size(), " entries, more than ", kMaxMerkleBranch));
  }
  std::vector<Hash256> branch;
  for (size_t i = 0; i < v.size(); ++i) {
    std::string field = absl::StrCat("merkle_branch[", i, "]");
    ASSIGN_OR_RETURN(std::string hex, GetHexString(v[i], field));
    ASSIGN_OR_RETURN(Hash256 h, bitcoin::HexToArray<32>(hex, field));
    branch.push_back(h);
  }
  return branch;
}

absl::StatusOr<std::string> GetJobId(const json& v) {
  if (!v.is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job_id: expected a string, got ", v.type_name()));
  }
  std::string id = v.get<std::string>();
  if (id.empty() || id.size() > kMaxJobIdLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("job_id: length ", id.size(), " outside 1..", kMaxJobIdLength));
  }
  return id;
}

}  // namespace

absl::StatusOr<StratumJob> ParseNotifyParams(const json& params) {
  if (!params.is_array() || params.size() < 9) {
    return absl::InvalidArgumentError(absl::StrCat(
        "mining.notify params: expected an array of 9 values, got ",
        params.is_array() ? absl::StrCat(params.size(), " values") : params.type_name()));
  }
  StratumJob job;
  ASSIGN_OR_RETURN(job.job_id, GetJobId(params[0]));
  ASSIGN_OR_RETURN(std::string prev_hex, GetHexString(params[1], "prevhash"));
  ASSIGN_OR_RETURN(job.prev_hash, PrevHashFromStratum(prev_hex));
  ASSIGN_OR_RETURN(job.coinb1, GetCoinbasePart(params[2], "coinb1"));
  ASSIGN_OR_RETURN(job.coinb2, GetCoinbasePart(params[3], "coinb2"));
  ASSIGN_OR_RETURN(job.merkle_branch, GetBranch(params[4]));
  ASSIGN_OR_RETURN(job.version, GetU32(params[5], "version"));
  ASSIGN_OR_RETURN(job.nbits, GetU32(params[6], "nbits"));
  RETURN_IF_ERROR(bitcoin::TargetFromBits(job.nbits).status());  // Its message names nbits.
  ASSIGN_OR_RETURN(job.ntime, GetU32(params[7], "ntime"));
  if (!params[8].is_boolean()) {
    return absl::InvalidArgumentError(
        absl::StrCat("clean_jobs: expected a boolean, got ", params[8].type_name()));
  }
  job.clean_jobs = params[8].get<bool>();
  return job;
}

absl::StatusOr<std::vector<uint8_t>> ParseExtranonce1(std::string_view hex) {
  if (hex.size() > 2 * kMaxExtranonce1Bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "extranonce1: ", hex.size(), " hex digits, more than ", 2 * kMaxExtranonce1Bytes));
  }
  return bitcoin::HexToBytes(hex, "extranonce1");
}

absl::Status CheckExtranonce2Size(int size) {
  if (size < 1 || size > kMaxExtranonce2Size) {
    return absl::InvalidArgumentError(
        absl::StrCat("extranonce2_size: ", size, " outside 1..", kMaxExtranonce2Size));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> ParseExtranonce2(std::string_view hex, int size) {
  RETURN_IF_ERROR(CheckExtranonce2Size(size));
  if (hex.size() != 2 * static_cast<size_t>(size)) {
    return absl::InvalidArgumentError(absl::StrCat("extranonce2: expected ", 2 * size,
                                                   " hex digits (extranonce2_size ", size,
                                                   "), got ", hex.size()));
  }
  return bitcoin::HexToBytes(hex, "extranonce2");
}

json ToNotifyParams(const StratumJob& job) {
  json branch = json::array();
  for (const Hash256& h : job.merkle_branch) branch.push_back(bitcoin::BytesToHex(h));
  return json::array({job.job_id, PrevHashToStratum(job.prev_hash), bitcoin::BytesToHex(job.coinb1),
                      bitcoin::BytesToHex(job.coinb2), branch,
                      bitcoin::U32ToHexBigEndian(job.version),
                      bitcoin::U32ToHexBigEndian(job.nbits), bitcoin::U32ToHexBigEndian(job.ntime),
                      job.clean_jobs});
}

std::string PrevHashToStratum(const Hash256& prev_hash) {
  Hash256 swapped;
  for (int w = 0; w < 8; ++w) {
    for (int b = 0; b < 4; ++b) swapped[4 * w + b] = prev_hash[4 * w + 3 - b];
  }
  return bitcoin::BytesToHex(swapped);
}

absl::StatusOr<Hash256> PrevHashFromStratum(std::string_view hex) {
  ASSIGN_OR_RETURN(Hash256 wire, bitcoin::HexToArray<32>(hex, "prevhash"));
  Hash256 out;
  for (int w = 0; w < 8; ++w) {
    for (int b = 0; b < 4; ++b) out[4 * w + b] = wire[4 * w + 3 - b];
  }
  return out;
}

Hash256 JobMerkleRoot(const StratumJob& job, std::span<const uint8_t> extranonce1,
                      std::span<const uint8_t> extranonce2) {
  std::vector<uint8_t> coinbase =
      bitcoin::AssembleCoinbase(job.coinb1, extranonce1, extranonce2, job.coinb2);
  return bitcoin::MerkleRootFromBranch(bitcoin::Sha256dHash(coinbase), job.merkle_branch);
}

bitcoin::BlockHeader BuildHeader(const StratumJob& job, std::span<const uint8_t> extranonce1,
                                 std::span<const uint8_t> extranonce2, uint32_t version,
                                 uint32_t ntime, uint32_t nonce) {
  bitcoin::BlockHeader h;
  h.version = version;
  h.prev_hash = job.prev_hash;
  h.merkle_root = JobMerkleRoot(job, extranonce1, extranonce2);
  h.ntime = ntime;
  h.nbits = job.nbits;
  h.nonce = nonce;
  return h;
}

hash::ScanWork BuildScanWork(const StratumJob& job, std::span<const uint8_t> extranonce1,
                             std::span<const uint8_t> extranonce2, uint32_t version, uint32_t ntime,
                             const hash::Target256& target) {
  std::array<uint8_t, 80> bytes =
      BuildHeader(job, extranonce1, extranonce2, version, ntime, 0).Serialize();
  return hash::MakeScanWork(bytes, target);
}

}  // namespace synth::stratum
