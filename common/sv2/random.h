// File: common/sv2/random.h
//
// The randomness seam of the SV2 code: every key, ElligatorSwift encoding and signature nonce is
// drawn through a RandomFn, so tests can replay a handshake byte for byte.
//
//   std::array<uint8_t, 32> key;
//   RETURN_IF_ERROR(SystemRandom()(key));
//
// Thread-safe: SystemRandom() may be called from any thread.
#ifndef SYNTH_COMMON_SV2_RANDOM_H_
#define SYNTH_COMMON_SV2_RANDOM_H_

#include <cstdint>
#include <functional>
#include <span>

#include "absl/status/status.h"

namespace synth::sv2 {

// Fills `out` with random bytes; Internal when no randomness is available.
using RandomFn = std::function<absl::Status(std::span<uint8_t> out)>;

// Returns OpenSSL's CSPRNG (RAND_bytes).
RandomFn SystemRandom();

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_RANDOM_H_
