// libFuzzer entry point for the Stratum codec (see codec_fuzz_target.h).
#include "tests/fuzz/codec_fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  synth::fuzz::FuzzCodecOnce(data, size);
  return 0;
}
