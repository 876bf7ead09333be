#include "common/stratum/codec_internal.h"

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/json_scan.h"
#include "common/stratum/codec.h"
#include "common/stratum/job.h"

namespace synth::stratum::internal {

using nlohmann::json;

namespace {
constexpr int kMaxNesting = 32;  // Stratum messages nest 3 deep; more is hostile.

}  // namespace

absl::Status Bad(absl::string_view method, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(method, ": ", what));
}

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Shorten(absl::string_view s) {
  return s.size() <= 80 ? std::string(s) : absl::StrCat(s.substr(0, 80), "...");
}

// Rejects nesting deeper than kMaxNesting before handing the text to nlohmann.
absl::Status CheckNesting(absl::string_view line) {
  if (ScanJson(line).max_depth > kMaxNesting) {
    return absl::InvalidArgumentError("JSON nested too deeply");
  }
  return absl::OkStatus();
}

absl::Status CheckArray(const json& params, absl::string_view method, size_t min, size_t max) {
  if (!params.is_array()) return Bad(method, "params must be an array");
  if (params.size() < min || params.size() > max) {
    return Bad(method, absl::StrCat("expected ", min, "..", max, " params, got ", params.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> GetString(const json& v, absl::string_view method,
                                      absl::string_view field) {
  if (!v.is_string()) return Bad(method, absl::StrCat(field, " must be a string"));
  return v.get<std::string>();
}

absl::StatusOr<uint32_t> GetHex32(const json& v, absl::string_view method, absl::string_view field) {
  if (!v.is_string()) return Bad(method, absl::StrCat(field, " must be a hex string"));
  absl::StatusOr<uint32_t> value = bitcoin::HexToU32BigEndian(v.get<std::string>(), std::string_view(field.data(), field.size()));
  if (!value.ok()) return Bad(method, value.status().message());
  return *value;
}

absl::StatusOr<int> GetExtranonce2Size(const json& v, absl::string_view method) {
  if (!v.is_number_integer()) return Bad(method, "extranonce2_size must be an integer");
  int64_t n = v.get<int64_t>();
  if (n < 1 || n > kMaxExtranonce2Size) {
    return Bad(method, absl::StrCat("extranonce2_size ", n, " outside 1..", kMaxExtranonce2Size));
  }
  return static_cast<int>(n);
}

absl::StatusOr<std::vector<uint8_t>> GetExtranonce1(const json& v, absl::string_view method) {
  if (!v.is_string()) return Bad(method, "extranonce1 must be a hex string");
  absl::StatusOr<std::vector<uint8_t>> bytes =
      bitcoin::HexToBytes(v.get<std::string>(), "extranonce1");
  if (!bytes.ok()) return Bad(method, bytes.status().message());
  if (bytes->size() > kMaxExtranonce1Bytes) {
    return Bad(method, absl::StrCat("extranonce1 of ", bytes->size(), " bytes is too long"));
  }
  return bytes;
}

}  // namespace synth::stratum::internal
