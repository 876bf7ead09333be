#include "common/stratum/codec.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/stratum/codec_internal.h"
#include "common/stratum/job.h"

namespace synth::stratum {
namespace {

using nlohmann::json;
using namespace internal;

absl::StatusOr<Message> ClassifyObject(json& j) {
  Message m;
  m.id = j.contains("id") ? j["id"] : json();
  if (!m.id.is_null() && !m.id.is_number_integer() && !m.id.is_string()) {
    return absl::InvalidArgumentError("id must be an integer, a string or null");
  }
  if (j.contains("method")) {
    if (!j["method"].is_string()) return absl::InvalidArgumentError("method must be a string");
    m.method = j["method"].get<std::string>();
    m.params = j.contains("params") ? j["params"] : json::array();
    if (m.params.is_null()) m.params = json::array();
    if (!m.params.is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(m.method, ": params must be an array"));
    }
    m.kind = m.id.is_null() ? Message::Kind::kNotification : Message::Kind::kRequest;
    return m;
  }
  if (!j.contains("result") && !j.contains("error")) {
    return absl::InvalidArgumentError("message has neither method nor result/error");
  }
  if (m.id.is_null()) return absl::InvalidArgumentError("response without an id");
  m.kind = Message::Kind::kResponse;
  m.result = j.contains("result") ? j["result"] : json();
  if (j.contains("error")) {
    absl::StatusOr<std::optional<RpcError>> error = ParseError(j["error"]);
    if (!error.ok()) return error.status();
    m.error = *error;
  }
  return m;
}

}  // namespace

absl::Status LineFramer::Feed(absl::string_view data, std::vector<std::string>* lines) {
  if (poisoned_) return absl::ResourceExhaustedError("line over the cap seen earlier");
  while (!data.empty()) {
    size_t nl = data.find('\n');
    absl::string_view chunk = data.substr(0, nl);
    if (partial_.size() + chunk.size() > max_line_) {
      poisoned_ = true;
      partial_.clear();
      return absl::ResourceExhaustedError(
          absl::StrCat("line longer than ", max_line_, " bytes"));
    }
    partial_.append(chunk.data(), chunk.size());
    if (nl == absl::string_view::npos) break;
    data.remove_prefix(nl + 1);
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (!partial_.empty()) lines->push_back(std::move(partial_));
    partial_.clear();
  }
  return absl::OkStatus();
}

std::optional<int64_t> Message::IntId() const {
  if (id.is_number_integer()) return id.get<int64_t>();
  return std::nullopt;
}

absl::StatusOr<Message> ParseLine(absl::string_view line) {
  if (line.size() > kMaxLineBytes) return absl::ResourceExhaustedError("line over 64 KiB");
  absl::Status nesting = CheckNesting(line);
  if (!nesting.ok()) return nesting;
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON: '", Shorten(line), "'"));
  }
  if (!j.is_object()) return absl::InvalidArgumentError("message is not a JSON object");
  return ClassifyObject(j);
}

absl::StatusOr<std::optional<RpcError>> ParseError(const json& error) {
  if (error.is_null()) return std::optional<RpcError>();
  RpcError e;
  e.raw = Dump(error);
  if (error.is_array()) {
    if (error.size() < 2 || !error[0].is_number_integer() || !error[1].is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("error array malformed: ", Shorten(e.raw)));
    }
    e.code = static_cast<int>(std::clamp<int64_t>(error[0].get<int64_t>(), -1000000, 1000000));
    e.message = error[1].get<std::string>();
  } else if (error.is_object()) {
    if (error.contains("code") && error["code"].is_number_integer()) {
      e.code = static_cast<int>(std::clamp<int64_t>(error["code"].get<int64_t>(), -1000000, 1000000));
    }
    if (error.contains("message") && error["message"].is_string()) {
      e.message = error["message"].get<std::string>();
    }
  } else if (error.is_string()) {
    e.message = error.get<std::string>();  // ckpool's reject reason.
  } else {
    return absl::InvalidArgumentError(absl::StrCat("error has the wrong type: ", Shorten(e.raw)));
  }
  return std::optional<RpcError>(std::move(e));
}

std::string EncodeRequest(const json& id, absl::string_view method, const json& params) {
  json j = {{"id", id}, {"method", method}, {"params", params}};
  return Dump(j) + "\n";
}

std::string EncodeNotification(absl::string_view method, const json& params) {
  return EncodeRequest(json(), method, params);
}

std::string EncodeResponse(const json& id, const json& result,
                           const std::optional<RpcError>& error) {
  json j = {{"id", id}, {"result", result}, {"error", error ? ErrorToJson(*error) : json()}};
  return Dump(j) + "\n";
}

json ErrorToJson(const RpcError& error) { return json::array({error.code, error.message, nullptr}); }

// ---- subscribe / authorize ----

json MakeSubscribeParams(const SubscribeParams& p) {
  json params = json::array({p.user_agent});
  if (p.session_id) params.push_back(*p.session_id);
  return params;
}

absl::StatusOr<SubscribeParams> ParseSubscribeParams(const json& params) {
  constexpr absl::string_view kMethod = "mining.subscribe";
  if (absl::Status s = CheckArray(params, kMethod, 0, 4); !s.ok()) return s;
  SubscribeParams p;
  if (params.size() >= 1 && params[0].is_string()) p.user_agent = params[0].get<std::string>();
  if (params.size() >= 2 && params[1].is_string()) p.session_id = params[1].get<std::string>();
  return p;
}

json MakeSubscribeResult(const SubscribeResult& r) {
  json subs = json::array();
  for (const auto& [method, id] : r.subscriptions) subs.push_back(json::array({method, id}));
  return json::array({subs, bitcoin::BytesToHex(r.extranonce1), r.extranonce2_size});
}

absl::StatusOr<SubscribeResult> ParseSubscribeResult(const json& result) {
  constexpr absl::string_view kMethod = "mining.subscribe result";
  if (absl::Status s = CheckArray(result, kMethod, 3, 3); !s.ok()) return s;
  SubscribeResult r;
  const json& subs = result[0];
  // Some pools send one pair instead of a list of pairs.
  auto add_pair = [&](const json& pair) {
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
      r.subscriptions.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
      if (pair[0] == "mining.notify") r.session_id = pair[1].get<std::string>();
    }
  };
  if (subs.is_array() && !subs.empty() && subs[0].is_string()) {
    add_pair(subs);
  } else if (subs.is_array()) {
    for (const json& pair : subs) add_pair(pair);
  }
  absl::StatusOr<std::vector<uint8_t>> en1 = GetExtranonce1(result[1], kMethod);
  if (!en1.ok()) return en1.status();
  r.extranonce1 = std::move(*en1);
  absl::StatusOr<int> size = GetExtranonce2Size(result[2], kMethod);
  if (!size.ok()) return size.status();
  r.extranonce2_size = *size;
  return r;
}

json MakeAuthorizeParams(const AuthorizeParams& p) { return json::array({p.user, p.pass}); }

absl::StatusOr<AuthorizeParams> ParseAuthorizeParams(const json& params) {
  constexpr absl::string_view kMethod = "mining.authorize";
  if (absl::Status s = CheckArray(params, kMethod, 1, 2); !s.ok()) return s;
  AuthorizeParams p;
  absl::StatusOr<std::string> user = GetString(params[0], kMethod, "user");
  if (!user.ok()) return user.status();
  p.user = std::move(*user);
  if (params.size() == 2 && params[1].is_string()) p.pass = params[1].get<std::string>();
  return p;
}

absl::StatusOr<bool> ParseBoolResult(const json& result, absl::string_view method) {
  if (result.is_null()) return false;
  if (!result.is_boolean()) return Bad(method, absl::StrCat("result must be true/false, got ",
                                                            Shorten(Dump(result))));
  return result.get<bool>();
}

// ---- difficulty ----

absl::Status CheckDifficulty(double difficulty, absl::string_view what) {
  if (!std::isfinite(difficulty) || difficulty <= 0 || difficulty > kMaxDifficulty) {
    return Bad(what, absl::StrCat("difficulty ", difficulty, " must be finite, > 0 and <= ",
                                  kMaxDifficulty));
  }
  return absl::OkStatus();
}

absl::StatusOr<double> ParseDifficultyParams(const json& params, absl::string_view method) {
  if (absl::Status s = CheckArray(params, method, 1, 1); !s.ok()) return s;
  if (!params[0].is_number()) return Bad(method, "difficulty must be a number");
  double d = params[0].get<double>();
  if (absl::Status s = CheckDifficulty(d, method); !s.ok()) return s;
  return d;
}

// ---- extranonce / version mask ----

json MakeSetExtranonceParams(const Extranonce& e) {
  return json::array({bitcoin::BytesToHex(e.extranonce1), e.extranonce2_size});
}

absl::StatusOr<Extranonce> ParseSetExtranonceParams(const json& params) {
  constexpr absl::string_view kMethod = "mining.set_extranonce";
  if (absl::Status s = CheckArray(params, kMethod, 2, 2); !s.ok()) return s;
  Extranonce e;
  absl::StatusOr<std::vector<uint8_t>> en1 = GetExtranonce1(params[0], kMethod);
  if (!en1.ok()) return en1.status();
  e.extranonce1 = std::move(*en1);
  absl::StatusOr<int> size = GetExtranonce2Size(params[1], kMethod);
  if (!size.ok()) return size.status();
  e.extranonce2_size = *size;
  return e;
}

json MakeSetVersionMaskParams(uint32_t mask) {
  return json::array({bitcoin::U32ToHexBigEndian(mask)});
}

absl::StatusOr<uint32_t> ParseSetVersionMaskParams(const json& params) {
  constexpr absl::string_view kMethod = "mining.set_version_mask";
  if (absl::Status s = CheckArray(params, kMethod, 1, 1); !s.ok()) return s;
  return GetHex32(params[0], kMethod, "mask");
}

}  // namespace synth::stratum
