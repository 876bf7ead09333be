// Internal helpers shared by codec.cc and codec_methods.cc. Not part of the API.
#ifndef SYNTH_COMMON_STRATUM_CODEC_INTERNAL_H_
#define SYNTH_COMMON_STRATUM_CODEC_INTERNAL_H_

#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace synth::stratum::internal {

absl::Status Bad(absl::string_view method, absl::string_view what);
std::string Dump(const nlohmann::json& j);
std::string Shorten(absl::string_view s);
absl::Status CheckNesting(absl::string_view line);
absl::Status CheckArray(const nlohmann::json& params, absl::string_view method, size_t min,
                        size_t max);
absl::StatusOr<std::string> GetString(const nlohmann::json& v, absl::string_view method,
                                      absl::string_view field);
absl::StatusOr<uint32_t> GetHex32(const nlohmann::json& v, absl::string_view method,
                                  absl::string_view field);
absl::StatusOr<int> GetExtranonce2Size(const nlohmann::json& v, absl::string_view method);
absl::StatusOr<std::vector<uint8_t>> GetExtranonce1(const nlohmann::json& v,
                                                    absl::string_view method);

}  // namespace synth::stratum::internal

#endif  // SYNTH_COMMON_STRATUM_CODEC_INTERNAL_H_
