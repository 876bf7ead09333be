#include "common/bitcoin/uint256.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bitcoin/hex.h"

namespace synth::bitcoin {

Uint256 Uint256::FromHash(const hash::Digest& hash) { return Uint256(hash::HashAsWords(hash)); }

absl::StatusOr<Uint256> Uint256::FromDisplayHex(std::string_view hex) {
  absl::StatusOr<std::array<uint8_t, 32>> bytes = HexToArray<32>(hex, "uint256");
  if (!bytes.ok()) return bytes.status();
  hash::Digest le;
  for (int i = 0; i < 32; ++i) le[i] = (*bytes)[31 - i];
  return FromHash(le);
}

Uint256 Uint256::FromU64Shifted(uint64_t value, int shift) {
  hash::Target256 w{};
  if (shift < 0) {
    value = shift <= -64 ? 0 : value >> -shift;
    shift = 0;
  }
  for (int part = 0; part < 2; ++part) {
    uint64_t v = (value >> (32 * part)) & 0xffffffffu;
    int bit = shift + 32 * part;
    int word = bit / 32, off = bit % 32;
    if (word < 8) w[word] |= static_cast<uint32_t>(v << off);
    if (off != 0 && word + 1 < 8) w[word + 1] |= static_cast<uint32_t>(v >> (32 - off));
  }
  return Uint256(w);
}

std::string Uint256::ToDisplayHex() const {
  std::string out;
  for (int i = 7; i >= 0; --i) absl::StrAppendFormat(&out, "%08x", words_[i]);
  return out;
}

bool Uint256::IsZero() const {
  for (uint32_t w : words_) {
    if (w != 0) return false;
  }
  return true;
}

int Uint256::BitLength() const {
  for (int i = 7; i >= 0; --i) {
    if (words_[i] != 0) return 32 * i + (32 - __builtin_clz(words_[i]));
  }
  return 0;
}

long double Uint256::ToLongDouble() const {
  long double v = 0;
  for (int i = 7; i >= 0; --i) v = v * 4294967296.0L + words_[i];
  return v;
}

std::strong_ordering operator<=>(const Uint256& a, const Uint256& b) {
  for (int i = 7; i >= 0; --i) {
    if (a.words_[i] != b.words_[i]) return a.words_[i] <=> b.words_[i];
  }
  return std::strong_ordering::equal;
}

namespace {

Uint256 MaxTarget() {
  hash::Target256 max;
  max.fill(0xffffffffu);
  return Uint256(max);
}

// Returns floor(0xffff * 2^k / m) for 0 <= k < 294 and 2^52 <= m < 2^53, saturated to
// [1, 2^256 - 1]: schoolbook long division, one 32-bit word at a time.
Uint256 DivideShiftedDiff1(uint64_t m, int k) {
  constexpr int kWords = 12;  // 0xffff * 2^k has at most 16 + 293 bits.
  std::array<uint32_t, kWords> numerator{};
  const uint64_t top = uint64_t{0xffff} << (k % 32);
  numerator[k / 32] = static_cast<uint32_t>(top);
  numerator[k / 32 + 1] = static_cast<uint32_t>(top >> 32);
  std::array<uint32_t, kWords> quotient{};
  unsigned __int128 remainder = 0;
  for (int i = kWords - 1; i >= 0; --i) {
    remainder = remainder << 32 | numerator[i];
    quotient[i] = static_cast<uint32_t>(remainder / m);
    remainder %= m;
  }
  for (int i = 8; i < kWords; ++i) {
    if (quotient[i] != 0) return MaxTarget();
  }
  hash::Target256 words;
  std::copy(quotient.begin(), quotient.begin() + 8, words.begin());
  Uint256 target(words);
  return target.IsZero() ? Uint256::FromU64Shifted(1, 0) : target;
}

}  // namespace

Uint256 Diff1Target() { return Uint256::FromU64Shifted(0xffff, 208); }

absl::StatusOr<Uint256> TargetFromBits(uint32_t nbits) {
  uint32_t mantissa = nbits & 0x007fffff;
  int exponent = static_cast<int>(nbits >> 24);
  if (nbits & 0x00800000) {
    return absl::InvalidArgumentError(absl::StrFormat("nbits %08x: negative target", nbits));
  }
  if (mantissa == 0) {
    return absl::InvalidArgumentError(absl::StrFormat("nbits %08x: zero target", nbits));
  }
  int shift = 8 * (exponent - 3);
  int mantissa_bits = 32 - __builtin_clz(mantissa);
  if (mantissa_bits + shift > 256) {
    return absl::InvalidArgumentError(absl::StrFormat("nbits %08x: target overflows", nbits));
  }
  // Small exponents shift the mantissa right; what falls off leaves nothing to mine against.
  Uint256 target = Uint256::FromU64Shifted(mantissa, shift);
  if (target.IsZero()) {
    return absl::InvalidArgumentError(absl::StrFormat("nbits %08x: zero target", nbits));
  }
  return target;
}

uint32_t BitsFromTarget(const Uint256& target) {
  int size = (target.BitLength() + 7) / 8;
  uint64_t mantissa = 0;
  for (int byte = size - 1; byte >= size - 3 && byte >= 0; --byte) {
    mantissa = mantissa << 8 | ((target.words()[byte / 4] >> (8 * (byte % 4))) & 0xff);
  }
  if (size < 3) mantissa <<= 8 * (3 - size);
  // The mantissa's top bit is a sign bit: move to a larger exponent instead.
  if (mantissa & 0x00800000) {
    mantissa >>= 8;
    ++size;
  }
  return static_cast<uint32_t>(size) << 24 | static_cast<uint32_t>(mantissa);
}

absl::StatusOr<Uint256> TargetFromDifficulty(double difficulty) {
  if (!std::isfinite(difficulty) || difficulty <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("difficulty must be finite and > 0, got ", difficulty));
  }
  // difficulty = m * 2^e exactly, with m a 53-bit integer, so the target is
  // floor(0xffff * 2^(208 - e) / m): integer arithmetic, exact and the same on every platform.
  int e = 0;
  const double fraction = std::frexp(difficulty, &e);  // [0.5, 1)
  const uint64_t m = static_cast<uint64_t>(std::ldexp(fraction, 53));
  const int k = 208 - (e - 53);
  // m is in [2^52, 2^53), so the quotient lies in (2^(k - 38), 2^(k - 36)).
  if (k - 38 >= 256) return MaxTarget();
  if (k < 0) return Uint256::FromU64Shifted(1, 0);  // 0xffff * 2^k / m < 1.
  return DivideShiftedDiff1(m, k);
}

double DifficultyFromTarget(const Uint256& target) {
  if (target.IsZero()) return std::numeric_limits<double>::infinity();
  return static_cast<double>(Diff1Target().ToLongDouble() / target.ToLongDouble());
}

}  // namespace synth::bitcoin
