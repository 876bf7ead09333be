// File: tests/fuzz/sv2_fuzz_target.h
//
// The body of the SV2 frame and message fuzzer, shared with the corpus replay test. The input is
// a stream of plaintext SV2 frames (6-byte header + payload) fed in uneven chunks:
//   - every frame is decoded as a message; a message that decodes must encode again and decode
//     to the same message;
//   - the frames are encrypted with a fixed key and the ciphertext stream, split differently,
//     must decrypt to the same frames; the raw input is also fed to a decryptor (error paths);
//   - the decoded frames drive a client Sv2Session (setup, channel, jobs, submits).
// Must never crash, hang or throw; a broken invariant is reported in `violation`.
//
//   Sv2FuzzResult r = FuzzSv2Once(data, size);   // r.violation empty unless a bug was found
#ifndef SYNTH_TESTS_FUZZ_SV2_FUZZ_TARGET_H_
#define SYNTH_TESTS_FUZZ_SV2_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace synth::fuzz {

struct Sv2FuzzResult {
  size_t frames = 0;          // Plaintext frames split from the input.
  size_t messages = 0;        // Frames that decoded as a known message.
  size_t unknown = 0;         // Frames of a type or extension not handled (Unimplemented).
  size_t errors = 0;          // Framing and decode errors.
  size_t jobs = 0;            // ClientJobs the session delivered.
  size_t verdicts = 0;        // Submit callbacks that ran.
  std::string session_error;  // Why the session dropped the connection, if it did.
  std::string violation;      // A broken invariant (round trip, encryption, callbacks).
};

Sv2FuzzResult FuzzSv2Once(const uint8_t* data, size_t size);

}  // namespace synth::fuzz

#endif  // SYNTH_TESTS_FUZZ_SV2_FUZZ_TARGET_H_
