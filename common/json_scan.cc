#include "common/json_scan.h"

namespace synth {

JsonScan ScanJson(absl::string_view text) {
  JsonScan s;
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > s.max_depth) s.max_depth = depth;
    } else if (c == ']' || c == '}') {
      if (--depth == 0 && s.first_close == JsonScan::kOpen) s.first_close = i + 1;
    }
  }
  return s;
}

}  // namespace synth
