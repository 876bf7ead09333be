// File: common/json_scan.h
//
// One pass over JSON text that follows nesting outside strings (escapes included) without
// parsing it: how deep the text nests, and where its first array or object closes. Input from
// the network is bounded this way before nlohmann parses it (the Stratum codec refuses deep
// nesting), and requests that carry no terminator are framed by it (the cgminer API).
//
//   JsonScan s = ScanJson(R"({"a":[1,2]} tail)");   // s.max_depth == 2, s.first_close == 11
//
// Pure; thread-safe.
#ifndef SYNTH_COMMON_JSON_SCAN_H_
#define SYNTH_COMMON_JSON_SCAN_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace synth {

struct JsonScan {
  static constexpr size_t kOpen = static_cast<size_t>(-1);
  int max_depth = 0;           // Deepest nesting of '[' and '{' seen outside strings.
  size_t first_close = kOpen;  // Offset just past the bracket that returns the depth to 0 for the
                               // first time; kOpen when that never happens within the text.
};

// Scans `text` to its end.
JsonScan ScanJson(absl::string_view text);

}  // namespace synth

#endif  // SYNTH_COMMON_JSON_SCAN_H_
