#include "common/metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace synth::metrics {

std::string EscapeLabelValue(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string EscapeHelp(absl::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

namespace {

bool IsNameChar(char c, bool first, bool colon) {
  if (absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && absl::ascii_isdigit(static_cast<unsigned char>(c));
}

bool ValidName(absl::string_view name, bool colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon)) return false;
  }
  return true;
}

absl::StatusOr<double> ParseValue(absl::string_view s) {
  if (s == "+Inf" || s == "Inf") return HUGE_VAL;
  if (s == "-Inf") return -HUGE_VAL;
  if (s == "NaN") return std::nan("");
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    return absl::InvalidArgumentError(absl::StrCat("bad value '", s, "'"));
  }
  return v;
}

// Parses `{a="x",b="y"}` at the start of `*rest` (after the name), consuming it.
absl::Status ParseLabels(absl::string_view* rest, std::map<std::string, std::string>* out) {
  absl::string_view s = *rest;
  size_t i = 1;  // After '{'.
  while (true) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && s[i] == '}') break;
    size_t eq = s.find('=', i);
    if (eq == absl::string_view::npos) return absl::InvalidArgumentError("label without '='");
    std::string name(absl::StripAsciiWhitespace(s.substr(i, eq - i)));
    if (!ValidName(name, false)) return absl::InvalidArgumentError("bad label name");
    if (eq + 1 >= s.size() || s[eq + 1] != '"') {
      return absl::InvalidArgumentError("label value not quoted");
    }
    std::string value;
    size_t j = eq + 2;
    for (; j < s.size() && s[j] != '"'; ++j) {
      if (s[j] != '\\') {
        value += s[j];
        continue;
      }
      if (++j >= s.size()) return absl::InvalidArgumentError("dangling escape");
      value += s[j] == 'n' ? '\n' : s[j];
    }
    if (j >= s.size()) return absl::InvalidArgumentError("unterminated label value");
    (*out)[name] = std::move(value);
    i = j + 1;
    while (i < s.size() && s[i] == ' ') ++i;
    if (i < s.size() && s[i] == ',')
      ++i;
    else if (i >= s.size() || s[i] != '}')
      return absl::InvalidArgumentError("expected , or }");
  }
  *rest = s.substr(i + 1);
  return absl::OkStatus();
}

absl::Status ParseSampleLine(absl::string_view line, Sample* out) {
  size_t n = 0;
  while (n < line.size() && IsNameChar(line[n], n == 0, true)) ++n;
  if (n == 0) return absl::InvalidArgumentError("expected a metric name");
  out->name = std::string(line.substr(0, n));
  absl::string_view rest = line.substr(n);
  if (!rest.empty() && rest[0] == '{') {
    if (absl::Status s = ParseLabels(&rest, &out->labels); !s.ok()) return s;
  }
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::StripAsciiWhitespace(rest), ' ', absl::SkipEmpty());
  if (fields.empty() || fields.size() > 2) {
    return absl::InvalidArgumentError("expected 'value [timestamp]'");
  }
  absl::StatusOr<double> v = ParseValue(fields[0]);
  if (!v.ok()) return v.status();
  out->value = *v;
  return absl::OkStatus();
}

// Records a "# HELP name text" or "# TYPE name type" line; other comments are ignored.
void ParseComment(absl::string_view line, Exposition* out) {
  std::vector<absl::string_view> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
  if (parts.size() < 3 || parts[0] != "#") return;
  std::string text = parts.size() > 3 ? std::string(parts[3]) : "";
  if (parts[1] == "TYPE") {
    out->types[std::string(parts[2])] = text;
  } else if (parts[1] == "HELP") {
    std::string unescaped;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\\' && i + 1 < text.size()) {
        ++i;
        unescaped += text[i] == 'n' ? '\n' : text[i];
      } else {
        unescaped += text[i];
      }
    }
    out->help[std::string(parts[2])] = unescaped;
  }
}

}  // namespace

bool IsValidMetricName(absl::string_view name) { return ValidName(name, true); }

bool IsValidLabelName(absl::string_view name) {
  return ValidName(name, false) && !absl::StartsWith(name, "__");
}

absl::StatusOr<Exposition> ParseText(absl::string_view text) {
  Exposition out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    if (line[0] == '#') {
      ParseComment(line, &out);
      continue;
    }
    Sample sample;
    if (absl::Status s = ParseSampleLine(line, &sample); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line_no, ": ", s.message()));
    }
    out.samples.push_back(std::move(sample));
  }
  return out;
}

const Sample* Find(const std::vector<Sample>& samples, absl::string_view name,
                   const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples) {
    if (s.name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      if (it == s.labels.end() || it->second != v) {
        match = false;
        break;
      }
    }
    if (match) return &s;
  }
  return nullptr;
}

}  // namespace synth::metrics
