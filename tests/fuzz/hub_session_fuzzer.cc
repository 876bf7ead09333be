// libFuzzer entry point for the downstream Stratum session (see session_fuzz_target.h).
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/session_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synth::fuzz::SessionFuzzResult r = synth::fuzz::FuzzSessionOnce(data, size);
  if (!r.violation.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", r.violation.c_str());
    std::abort();
  }
  return 0;
}
