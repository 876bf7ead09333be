// File: common/bitcoin/uint256.h
//
// A 256-bit unsigned number for hashes and targets, and the conversions between block targets
// (nBits), pool difficulty and share targets.
//
//   ASSIGN_OR_RETURN(Uint256 share_target, TargetFromDifficulty(pool_difficulty));
//   ASSIGN_OR_RETURN(Uint256 block_target, TargetFromBits(0x1a44b9f2));
//   bool share = Uint256::FromHash(hash) <= share_target;
//
// Layout: eight 32-bit words, least significant first, the same as synth::hash::Target256, so a
// hash's bytes read as a little-endian number map word i to bytes 4i..4i+3. "Display" hex is the
// big-endian rendering (what block explorers show). Thread-safe: a value type.
#ifndef SYNTH_COMMON_BITCOIN_UINT256_H_
#define SYNTH_COMMON_BITCOIN_UINT256_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/hash/scan.h"

namespace synth::bitcoin {

class Uint256 {
 public:
  constexpr Uint256() = default;
  constexpr explicit Uint256(const hash::Target256& words) : words_(words) {}

  // Returns the hash bytes read as a little-endian number.
  static Uint256 FromHash(const hash::Digest& hash);
  // Parses 64 hex digits in display (big-endian) order.
  static absl::StatusOr<Uint256> FromDisplayHex(std::string_view hex);
  // Returns value << shift (bits shifted past bit 255 are lost).
  static Uint256 FromU64Shifted(uint64_t value, int shift);

  // Returns 64 lowercase hex digits, display (big-endian) order.
  std::string ToDisplayHex() const;
  const hash::Target256& words() const { return words_; }
  bool IsZero() const;
  // Returns the index of the highest set bit plus one (0 for zero).
  int BitLength() const;
  // Returns the value as a long double (rounded).
  long double ToLongDouble() const;

  friend std::strong_ordering operator<=>(const Uint256& a, const Uint256& b);
  friend bool operator==(const Uint256& a, const Uint256& b) = default;

 private:
  hash::Target256 words_{};
};

// The difficulty-1 target, 0x00000000FFFF0000...0000 (docs/DESIGN.md §3).
Uint256 Diff1Target();

// Decodes a compact nBits value (mantissa * 256^(exponent-3)). Negative, zero (including a
// mantissa shifted out by a small exponent, e.g. 0x01003456) and overflowing encodings are
// InvalidArgument, with the nbits value in the message.
absl::StatusOr<Uint256> TargetFromBits(uint32_t nbits);

// Encodes a target in compact form, rounding down as Bitcoin Core does.
uint32_t BitsFromTarget(const Uint256& target);

// Returns floor(Diff1Target() / difficulty), exactly (integer arithmetic on the double's exact
// value, so the result is the same on every platform and never above the pool's exact target).
// Difficulty may be fractional; it must be finite and > 0 (otherwise InvalidArgument). The
// result saturates to [1, 2^256 - 1]: a difficulty so small that the target would overflow gives
// the largest target, one so large that it would round to zero gives 1.
absl::StatusOr<Uint256> TargetFromDifficulty(double difficulty);

// Returns Diff1Target() / target (the difficulty a target, or a hash, stands for); a zero target
// gives +infinity.
double DifficultyFromTarget(const Uint256& target);

}  // namespace synth::bitcoin

#endif  // SYNTH_COMMON_BITCOIN_UINT256_H_
