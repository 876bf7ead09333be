#include "master/api/request.h"

#include <cstdio>

#include "absl/algorithm/container.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/json_scan.h"
#include "master/api/codes.h"
#include "nlohmann/json.hpp"

namespace synth::api {
namespace {

constexpr int kMaxNesting = 32;

// Splits `a+b++a` into {a, b}: blanks and repeats dropped, order kept.
std::vector<std::string> SplitJoined(absl::string_view command) {
  std::vector<std::string> out;
  for (absl::string_view c : absl::StrSplit(command, '+', absl::SkipEmpty())) {
    if (absl::c_find(out, c) == out.end()) out.emplace_back(c);
  }
  return out;
}

// Fills the command fields from the command text and the parameter.
void SetCommand(absl::string_view command, std::string parameter, ApiRequest* r) {
  if (command.find('+') != absl::string_view::npos) {
    r->joined = true;
    r->commands = SplitJoined(command);
    return;
  }
  r->commands.emplace_back(command);
  r->parameter = std::move(parameter);
}

// cgminer's spelling of a numeric parameter: "%d" for integers, "%f" for reals.
std::string ParameterText(const nlohmann::json& p) {
  char buf[64];
  if (p.is_string()) return p.get<std::string>();
  if (p.is_number_integer()) {
    std::snprintf(buf, sizeof(buf), "%d", static_cast<int>(p.get<int64_t>()));
    return buf;
  }
  if (p.is_number_float()) {
    std::snprintf(buf, sizeof(buf), "%f", p.get<double>());
    return buf;
  }
  return "";
}

ApiRequest ParseJson(absl::string_view bytes) {
  ApiRequest r;
  r.json = true;
  // A request nests two deep; deeper input is not handed to the parser.
  nlohmann::json j;
  if (ScanJson(bytes).max_depth <= kMaxNesting) {
    j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  }
  if (!j.is_object()) {
    r.error_code = kCodeInvalidJson;
    return r;
  }
  auto command = j.find("command");
  if (command == j.end()) {
    r.error_code = kCodeMissingCommand;
  } else if (!command->is_string()) {
    r.error_code = kCodeInvalidCommand;
  } else {
    auto parameter = j.find("parameter");
    SetCommand(command->get<std::string>(),
               parameter == j.end() ? std::string() : ParameterText(*parameter), &r);
  }
  return r;
}

}  // namespace

bool RequestComplete(absl::string_view bytes) {
  if (bytes.empty()) return false;
  return bytes[0] != '{' || ScanJson(bytes).first_close != JsonScan::kOpen;
}

ApiRequest ParseRequest(absl::string_view bytes) {
  // Whatever follows the request (a newline, the NUL some clients send) is not part of it.
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == '\0')) {
    bytes.remove_suffix(1);
  }
  if (!bytes.empty() && bytes[0] == '{') return ParseJson(bytes);
  ApiRequest r;
  size_t bar = bytes.find('|');
  absl::string_view command = bytes.substr(0, bar);
  std::string parameter = bar == absl::string_view::npos ? "" : std::string(bytes.substr(bar + 1));
  SetCommand(command, std::move(parameter), &r);
  return r;
}

}  // namespace synth::api
