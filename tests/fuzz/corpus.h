// Reading a fuzz corpus in the replay tests, which run every fuzz target's seeds on every build
// (no clang needed).
#ifndef SYNTH_TESTS_FUZZ_CORPUS_H_
#define SYNTH_TESTS_FUZZ_CORPUS_H_

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/functional/function_ref.h"

namespace synth::fuzz {

// Calls `seed(name, data, size)` for every file in `dir` (the file name, its bytes); returns how
// many files there were, or -1 when `dir` is not a folder.
inline int ForEachSeed(const std::filesystem::path& dir,
                       absl::FunctionRef<void(const std::string&, const uint8_t*, size_t)> seed) {
  if (!std::filesystem::is_directory(dir)) return -1;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string data = buf.str();
    seed(entry.path().filename().string(), reinterpret_cast<const uint8_t*>(data.data()),
         data.size());
    ++seeds;
  }
  return seeds;
}

// True when a seed's name starts with `prefix` (seeds are named for the behaviour they show).
inline bool Starts(const std::string& name, const char* prefix) {
  return name.rfind(prefix, 0) == 0;
}

}  // namespace synth::fuzz

#endif  // SYNTH_TESTS_FUZZ_CORPUS_H_
