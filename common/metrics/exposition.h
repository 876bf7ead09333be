// File: common/metrics/exposition.h
//
// The Prometheus text exposition format 0.0.4: the escaping and number spelling the registry
// renders with, and a parser for the same format (tests, synthctl and scripts read /metrics
// with it instead of grepping).
//
//   absl::StatusOr<std::vector<metrics::Sample>> samples = metrics::ParseText(body);
//   const metrics::Sample* s = metrics::Find(*samples, "synth_pool_up", {});
//
// Parsing rules: `# HELP` / `# TYPE` lines are recorded, other comments and blank lines are
// skipped; a sample is `name{l="v",...} value [timestamp]`; label values may contain the escapes
// \\ \" \n; values are floats, `+Inf`, `-Inf` or `NaN`. Anything else is INVALID_ARGUMENT naming
// the line. Pure functions, thread-safe.
#ifndef SYNTH_COMMON_METRICS_EXPOSITION_H_
#define SYNTH_COMMON_METRICS_EXPOSITION_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace synth::metrics {

// The Content-Type of a /metrics response.
inline constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// Returns a label value escaped for the text format (\ → \\, " → \", newline → \n).
std::string EscapeLabelValue(absl::string_view value);
// Returns HELP text escaped for the text format (\ → \\, newline → \n).
std::string EscapeHelp(absl::string_view help);
// Returns the shortest spelling of `v` that reads back exactly; +Inf, -Inf, NaN for those.
std::string FormatValue(double v);
// Returns true for a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*).
bool IsValidMetricName(absl::string_view name);
// Returns true for a valid label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__").
bool IsValidLabelName(absl::string_view name);

// One parsed sample line.
struct Sample {
  std::string name;                           // e.g. "synth_shares_total" or "x_bucket".
  std::map<std::string, std::string> labels;  // Unescaped values.
  double value = 0;
};

// One parsed exposition: samples in order plus the HELP/TYPE lines by family name.
struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family → "counter", "gauge", "histogram", ...
  std::map<std::string, std::string> help;   // family → unescaped help.
};

// Parses a text-format body. INVALID_ARGUMENT ("line N: ...") on malformed input.
absl::StatusOr<Exposition> ParseText(absl::string_view text);

// Returns the first sample named `name` whose labels include every pair of `labels`, or null.
const Sample* Find(const std::vector<Sample>& samples, absl::string_view name,
                   const std::map<std::string, std::string>& labels);

}  // namespace synth::metrics

#endif  // SYNTH_COMMON_METRICS_EXPOSITION_H_
