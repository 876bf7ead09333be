// File: tests/fuzz/codec_fuzz_target.h
//
// The body of the Stratum codec fuzzer, shared with the corpus replay test: frames arbitrary
// bytes into lines (64 KiB cap), parses each line, and runs every typed accessor over the
// params/result, as the client and synth-pool do. Must never crash, hang or throw.
//
//   CodecFuzzStats s = FuzzCodecOnce(data, size);   // s.messages: lines that parsed
#ifndef SYNTH_TESTS_FUZZ_CODEC_FUZZ_TARGET_H_
#define SYNTH_TESTS_FUZZ_CODEC_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>

namespace synth::fuzz {

struct CodecFuzzStats {
  size_t lines = 0;
  size_t messages = 0;        // Lines that parsed as JSON-RPC.
  size_t typed_ok = 0;        // Typed accessors that succeeded.
  size_t errors = 0;          // Framing, parse and accessor errors.
};

CodecFuzzStats FuzzCodecOnce(const uint8_t* data, size_t size);

}  // namespace synth::fuzz

#endif  // SYNTH_TESTS_FUZZ_CODEC_FUZZ_TARGET_H_
