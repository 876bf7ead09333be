#include "worker/replay.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/bitcoin/uint256.h"
#include "common/hash/dispatch.h"
#include "common/status_macros.h"
#include "common/stratum/job.h"
#include "nlohmann/json.hpp"

namespace synth::worker {
namespace {

using nlohmann::json;

struct ReplayRequest {
  stratum::StratumJob job;
  std::vector<uint8_t> extranonce1;
  std::vector<uint8_t> extranonce2;
  bitcoin::Uint256 target;
  uint32_t nonce_start = 0;
  uint64_t nonce_count = 0;
  bool rolling = false;
  uint32_t version_mask = 0;
  uint32_t version = 0;
  std::string worker = "synth";
};

absl::Status FieldError(std::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", what));
}

absl::StatusOr<std::string> StringField(const json& req, const char* field, bool required) {
  if (!req.contains(field)) {
    if (required) return FieldError(field, "missing");
    return std::string();
  }
  if (!req[field].is_string()) return FieldError(field, "expected a string");
  return req[field].get<std::string>();
}

absl::StatusOr<uint64_t> UintField(const json& req, const char* field, uint64_t max) {
  if (!req.contains(field)) return FieldError(field, "missing");
  const json& v = req[field];
  if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<int64_t>() >= 0)) {
    return FieldError(field, "expected a non-negative integer");
  }
  uint64_t value = v.get<uint64_t>();
  if (value > max) return FieldError(field, absl::StrCat("must be at most ", max));
  return value;
}

absl::Status ParseVersion(const json& req, ReplayRequest* r) {
  ASSIGN_OR_RETURN(std::string mask_hex, StringField(req, "version_mask", false));
  ASSIGN_OR_RETURN(std::string version_hex, StringField(req, "version", false));
  r->version = r->job.version;
  if (!mask_hex.empty()) {
    ASSIGN_OR_RETURN(r->version_mask, bitcoin::HexToU32BigEndian(mask_hex, "version_mask"));
    r->rolling = true;
  }
  if (version_hex.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(uint32_t version, bitcoin::HexToU32BigEndian(version_hex, "version"));
  // A rolled version may differ from the job's only inside the mask (BIP 310).
  if (((version ^ r->job.version) & ~r->version_mask) != 0) {
    return FieldError("version", absl::StrCat("differs from the job's version outside the ",
                                              r->rolling ? "version_mask" : "(absent) mask"));
  }
  r->version = version;
  return absl::OkStatus();
}

absl::StatusOr<ReplayRequest> ParseRequest(std::string_view text) {
  json req = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (req.is_discarded()) return absl::InvalidArgumentError("request: not valid JSON");
  if (!req.is_object()) return absl::InvalidArgumentError("request: expected a JSON object");
  ReplayRequest r;
  if (!req.contains("notify")) return FieldError("notify", "missing");
  absl::StatusOr<stratum::StratumJob> job = stratum::ParseNotifyParams(req["notify"]);
  if (!job.ok()) return FieldError("notify", job.status().message());
  r.job = *std::move(job);
  ASSIGN_OR_RETURN(std::string en1, StringField(req, "extranonce1", true));
  ASSIGN_OR_RETURN(r.extranonce1, stratum::ParseExtranonce1(en1));
  ASSIGN_OR_RETURN(std::string en2, StringField(req, "extranonce2", true));
  // The extranonce2 size is whatever the request's hex holds; it must be one a pool may set.
  int en2_size = static_cast<int>(en2.size() / 2);
  if (!stratum::CheckExtranonce2Size(en2_size).ok()) {
    return FieldError("extranonce2", "length must be 1..16 bytes");
  }
  ASSIGN_OR_RETURN(r.extranonce2, stratum::ParseExtranonce2(en2, en2_size));
  if (!req.contains("difficulty") || !req["difficulty"].is_number()) {
    return FieldError("difficulty", "missing or not a number");
  }
  absl::StatusOr<bitcoin::Uint256> target =
      bitcoin::TargetFromDifficulty(req["difficulty"].get<double>());
  if (!target.ok()) return FieldError("difficulty", target.status().message());
  r.target = *target;
  ASSIGN_OR_RETURN(uint64_t start, UintField(req, "nonce_start", 0xffffffffu));
  r.nonce_start = static_cast<uint32_t>(start);
  ASSIGN_OR_RETURN(r.nonce_count, UintField(req, "nonce_count", (uint64_t{1} << 32) - start));
  RETURN_IF_ERROR(ParseVersion(req, &r));
  ASSIGN_OR_RETURN(std::string worker, StringField(req, "worker", false));
  if (!worker.empty()) r.worker = worker;
  return r;
}

// Ordered so the line reads as the spec writes it: submit, hash, difficulty.
nlohmann::ordered_json ShareLine(const ReplayRequest& r, uint32_t nonce) {
  bitcoin::BlockHeader header =
      stratum::BuildHeader(r.job, r.extranonce1, r.extranonce2, r.version, r.job.ntime, nonce);
  json submit =
      json::array({r.worker, r.job.job_id, bitcoin::BytesToHex(r.extranonce2),
                   bitcoin::U32ToHexBigEndian(r.job.ntime), bitcoin::U32ToHexBigEndian(nonce)});
  if (r.rolling) submit.push_back(bitcoin::U32ToHexBigEndian(r.version & r.version_mask));
  hash::Digest digest = header.Hash();
  return nlohmann::ordered_json{
      {"submit", submit},
      {"hash", header.DisplayHash()},
      {"difficulty", bitcoin::DifficultyFromTarget(bitcoin::Uint256::FromHash(digest))}};
}

}  // namespace

absl::Status RunReplay(std::string_view request_json, std::string_view hash_core,
                       std::ostream& out) {
  ASSIGN_OR_RETURN(ReplayRequest r, ParseRequest(request_json));
  ASSIGN_OR_RETURN(const hash::HashCore* core, hash::SelectCore(hash_core));
  hash::ScanWork work = stratum::BuildScanWork(r.job, r.extranonce1, r.extranonce2, r.version,
                                               r.job.ntime, r.target.words());
  std::vector<uint32_t> found;
  core->Scan(work, r.nonce_start, r.nonce_count, &found);
  for (uint32_t nonce : found) out << ShareLine(r, nonce).dump() << "\n";
  out.flush();
  return absl::OkStatus();
}

}  // namespace synth::worker
