// libFuzzer entry point for the master's handling of worker messages (see
// worker_fuzz_target.h): a broken invariant traps, so libFuzzer saves the input.
#include <cstdio>
#include <cstdlib>

#include "common/logging.h"
#include "tests/fuzz/worker_fuzz_target.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  FLAGS_minloglevel = 3;  // The Cluster logs every connect and flagged worker; keep it quiet.
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synth::fuzz::WorkerFuzzResult r = synth::fuzz::FuzzWorkerOnce(data, size);
  if (!r.violation.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", r.violation.c_str());
    std::abort();
  }
  return 0;
}
