// The typed params of mining.configure, client.reconnect, client.show_message and mining.submit.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/stratum/codec.h"
#include "common/stratum/codec_internal.h"
#include "common/stratum/job.h"

namespace synth::stratum {

using nlohmann::json;
using namespace internal;

namespace {
constexpr absl::string_view kConfigure = "mining.configure";
constexpr char kVr[] = "version-rolling";
constexpr char kVrMask[] = "version-rolling.mask";
constexpr char kVrMinBits[] = "version-rolling.min-bit-count";
constexpr char kMinDiff[] = "minimum-difficulty";
constexpr char kMinDiffValue[] = "minimum-difficulty.value";
constexpr char kSubEn[] = "subscribe-extranonce";
}  // namespace

json MakeConfigureParams(const ConfigureParams& p) {
  json names = json::array();
  json opts = json::object();
  if (p.version_rolling) {
    names.push_back(kVr);
    opts[kVrMask] = bitcoin::U32ToHexBigEndian(p.version_mask);
    opts[kVrMinBits] = p.version_min_bit_count;
  }
  if (p.minimum_difficulty) {
    names.push_back(kMinDiff);
    opts[kMinDiffValue] = *p.minimum_difficulty;
  }
  if (p.subscribe_extranonce) names.push_back(kSubEn);
  return json::array({names, opts});
}

absl::StatusOr<ConfigureParams> ParseConfigureParams(const json& params) {
  if (absl::Status s = CheckArray(params, kConfigure, 2, 2); !s.ok()) return s;
  if (!params[0].is_array() || !params[1].is_object()) {
    return Bad(kConfigure, "params must be [extension names, options object]");
  }
  ConfigureParams p;
  for (const json& name : params[0]) {
    if (!name.is_string()) return Bad(kConfigure, "extension names must be strings");
    if (name == kVr) p.version_rolling = true;
    if (name == kSubEn) p.subscribe_extranonce = true;
    if (name == kMinDiff) p.minimum_difficulty = 0;
  }
  const json& opts = params[1];
  if (p.version_rolling) {
    if (!opts.contains(kVrMask)) return Bad(kConfigure, "version-rolling.mask missing");
    absl::StatusOr<uint32_t> mask = GetHex32(opts[kVrMask], kConfigure, kVrMask);
    if (!mask.ok()) return mask.status();
    p.version_mask = *mask;
    if (opts.contains(kVrMinBits)) {
      if (!opts[kVrMinBits].is_number_integer()) return Bad(kConfigure, "min-bit-count not int");
      p.version_min_bit_count = static_cast<int>(std::clamp<int64_t>(opts[kVrMinBits], 0, 32));
    }
  }
  if (p.minimum_difficulty) {
    if (!opts.contains(kMinDiffValue) || !opts[kMinDiffValue].is_number()) {
      return Bad(kConfigure, "minimum-difficulty.value must be a number");
    }
    double d = opts[kMinDiffValue].get<double>();
    if (absl::Status s = CheckDifficulty(d, kConfigure); !s.ok()) return s;
    p.minimum_difficulty = d;
  }
  return p;
}

json MakeConfigureResult(const ConfigureResult& r) {
  json j = json::object();
  j[kVr] = r.version_rolling;
  if (r.version_rolling) j[kVrMask] = bitcoin::U32ToHexBigEndian(r.version_mask);
  j[kMinDiff] = r.minimum_difficulty;
  j[kSubEn] = r.subscribe_extranonce;
  return j;
}

absl::StatusOr<ConfigureResult> ParseConfigureResult(const json& result) {
  if (!result.is_object()) return Bad(kConfigure, "result must be an object");
  ConfigureResult r;
  // A value other than `true` (false, or an error string per BIP 310) means "not agreed".
  if (result.contains(kVr) && result[kVr].is_boolean() && result[kVr].get<bool>()) {
    if (!result.contains(kVrMask)) return Bad(kConfigure, "version-rolling.mask missing");
    absl::StatusOr<uint32_t> mask = GetHex32(result[kVrMask], kConfigure, kVrMask);
    if (!mask.ok()) return mask.status();
    r.version_rolling = true;
    r.version_mask = *mask;
  }
  r.minimum_difficulty = result.contains(kMinDiff) && result[kMinDiff].is_boolean() &&
                         result[kMinDiff].get<bool>();
  r.subscribe_extranonce = result.contains(kSubEn) && result[kSubEn].is_boolean() &&
                           result[kSubEn].get<bool>();
  return r;
}

// ---- client.reconnect / client.show_message ----

json MakeReconnectParams(const ReconnectParams& p) {
  json params = json::array({p.host});
  if (p.port) params.push_back(*p.port);
  if (p.port && p.wait_s > 0) params.push_back(p.wait_s);
  return params;
}

absl::StatusOr<ReconnectParams> ParseReconnectParams(const json& params) {
  constexpr absl::string_view kMethod = "client.reconnect";
  if (absl::Status s = CheckArray(params, kMethod, 0, 3); !s.ok()) return s;
  ReconnectParams p;
  if (params.size() >= 1 && !params[0].is_null()) {
    absl::StatusOr<std::string> host = GetString(params[0], kMethod, "host");
    if (!host.ok()) return host.status();
    if (host->size() > 253) return Bad(kMethod, "host name too long");
    p.host = std::move(*host);
  }
  if (params.size() >= 2 && !params[1].is_null()) {
    int64_t port = -1;
    if (params[1].is_number_integer()) {
      port = params[1].get<int64_t>();
    } else if (params[1].is_string()) {  // cgminer accepts the port as a string.
      const std::string s = params[1].get<std::string>();
      if (s.empty() || s.size() > 5 || s.find_first_not_of("0123456789") != std::string::npos) {
        return Bad(kMethod, absl::StrCat("port '", Shorten(s), "' is not a number"));
      }
      port = std::stoll(s);
    }
    if (port < 1 || port > 65535) return Bad(kMethod, "port must be 1..65535");
    p.port = static_cast<int>(port);
  }
  if (params.size() >= 3 && !params[2].is_null()) {
    if (!params[2].is_number()) return Bad(kMethod, "wait must be a number of seconds");
    double wait = params[2].get<double>();
    if (!std::isfinite(wait) || wait < 0 || wait > 3600) return Bad(kMethod, "wait outside 0..3600");
    p.wait_s = static_cast<int>(wait);
  }
  return p;
}

absl::StatusOr<std::string> ParseShowMessageParams(const json& params) {
  constexpr absl::string_view kMethod = "client.show_message";
  if (absl::Status s = CheckArray(params, kMethod, 1, 1); !s.ok()) return s;
  return GetString(params[0], kMethod, "message");
}

// ---- mining.submit ----

json MakeSubmitParams(const SubmitParams& p) {
  json params = json::array({p.worker, p.job_id, bitcoin::BytesToHex(p.extranonce2),
                             bitcoin::U32ToHexBigEndian(p.ntime),
                             bitcoin::U32ToHexBigEndian(p.nonce)});
  if (p.version_bits) params.push_back(bitcoin::U32ToHexBigEndian(*p.version_bits));
  return params;
}

absl::StatusOr<SubmitParams> ParseSubmitParams(const json& params) {
  constexpr absl::string_view kMethod = "mining.submit";
  if (absl::Status s = CheckArray(params, kMethod, 5, 6); !s.ok()) return s;
  SubmitParams p;
  absl::StatusOr<std::string> worker = GetString(params[0], kMethod, "worker");
  if (!worker.ok()) return worker.status();
  p.worker = std::move(*worker);
  absl::StatusOr<std::string> job_id = GetString(params[1], kMethod, "job_id");
  if (!job_id.ok()) return job_id.status();
  if (job_id->empty() || job_id->size() > kMaxJobIdLength) return Bad(kMethod, "job_id length");
  p.job_id = std::move(*job_id);
  if (!params[2].is_string()) return Bad(kMethod, "extranonce2 must be a hex string");
  absl::StatusOr<std::vector<uint8_t>> en2 =
      bitcoin::HexToBytes(params[2].get<std::string>(), "extranonce2");
  if (!en2.ok()) return Bad(kMethod, en2.status().message());
  if (en2->empty() || en2->size() > static_cast<size_t>(kMaxExtranonce2Size)) {
    return Bad(kMethod, absl::StrCat("extranonce2 of ", en2->size(), " bytes"));
  }
  p.extranonce2 = std::move(*en2);
  absl::StatusOr<uint32_t> ntime = GetHex32(params[3], kMethod, "ntime");
  if (!ntime.ok()) return ntime.status();
  p.ntime = *ntime;
  absl::StatusOr<uint32_t> nonce = GetHex32(params[4], kMethod, "nonce");
  if (!nonce.ok()) return nonce.status();
  p.nonce = *nonce;
  if (params.size() == 6) {
    absl::StatusOr<uint32_t> bits = GetHex32(params[5], kMethod, "version_bits");
    if (!bits.ok()) return bits.status();
    p.version_bits = *bits;
  }
  return p;
}

}  // namespace synth::stratum
