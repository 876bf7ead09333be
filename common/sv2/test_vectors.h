// Test-only: reads the BIP 324 / BIP 340 CSV vectors of tests/data/sv2 (README.md there).
#ifndef SYNTH_COMMON_SV2_TEST_VECTORS_H_
#define SYNTH_COMMON_SV2_TEST_VECTORS_H_

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace synth::sv2::testing {

using Row = std::map<std::string, std::string>;

// Returns every row of tests/data/sv2/`name` as column → value (quoted fields are not used).
inline std::vector<Row> ReadVectors(const std::string& name) {
  std::ifstream in(std::string(SYNTH_SV2_TEST_DATA_DIR) + "/" + name);
  EXPECT_TRUE(in.good()) << name;
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header = absl::StrSplit(line, ',');
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> cells = absl::StrSplit(line, absl::MaxSplits(',', header.size() - 1));
    Row row;
    for (size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace synth::sv2::testing

#endif  // SYNTH_COMMON_SV2_TEST_VECTORS_H_
