// libFuzzer entry point for SV2 frames and messages (see sv2_fuzz_target.h): a broken invariant
// aborts, so libFuzzer saves the input.
#include <cstdio>
#include <cstdlib>

#include "common/logging.h"
#include "tests/fuzz/sv2_fuzz_target.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  FLAGS_minloglevel = 3;  // The session logs every ignored message; keep it quiet.
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synth::fuzz::Sv2FuzzResult r = synth::fuzz::FuzzSv2Once(data, size);
  if (!r.violation.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", r.violation.c_str());
    std::abort();
  }
  return 0;
}
