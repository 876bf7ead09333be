#include "common/format.h"

#include "absl/strings/str_format.h"

namespace synth {

std::string FormatHashRate(double hashes_per_second) {
  const char* unit[] = {"H/s", "kH/s", "MH/s", "GH/s", "TH/s", "PH/s"};
  int i = 0;
  while (hashes_per_second >= 1000 && i < 5) {
    hashes_per_second /= 1000;
    ++i;
  }
  return absl::StrFormat("%.2f %s", hashes_per_second, unit[i]);
}

}  // namespace synth
