// File: common/hash/sha256.h
//
// The plain scalar SHA-256 reference. Every fast path in synth (SIMD cores, SHA-NI, CUDA) is
// tested against these functions; they favour clarity over speed.
//
//   std::array<uint8_t, 32> h = synth::hash::Sha256d(header_bytes);
//
// Thread-safe: pure functions.
#ifndef SYNTH_COMMON_HASH_SHA256_H_
#define SYNTH_COMMON_HASH_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace synth::hash {

using Digest = std::array<uint8_t, 32>;
using State = std::array<uint32_t, 8>;

// SHA-256 initial hash value H(0) (FIPS 180-4 §5.3.3).
inline constexpr State kSha256Init = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                      0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// SHA-256 round constants K(0..63).
extern const uint32_t kSha256K[64];

// Applies one SHA-256 compression of the 64-byte `block` to `state`.
void Sha256Compress(State& state, const uint8_t block[64]);

// Returns SHA-256(data).
Digest Sha256(std::span<const uint8_t> data);

// Returns SHA-256(SHA-256(data)), Bitcoin's hash.
Digest Sha256d(std::span<const uint8_t> data);

// Serializes a state as the big-endian digest bytes.
Digest StateToDigest(const State& state);

}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_SHA256_H_
