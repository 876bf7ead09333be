#include "common/bitcoin/uint256.h"

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
  return Uint256::FromU64Shifted(mantissa, shift);
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
  // target = 0xffff * 2^208 / difficulty; q = 0xffff / difficulty as m * 2^e with 64 mantissa
  // bits, exact for difficulties whose quotient fits a long double.
  long double q = 65535.0L / static_cast<long double>(difficulty);
  int e = 0;
  long double m = std::frexp(q, &e);  // q = m * 2^e, m in [0.5, 1)
  uint64_t mant = static_cast<uint64_t>(std::ldexp(m, 64));
  int shift = e + 208 - 64;
  if (shift + 64 > 256) {
    hash::Target256 max;
    max.fill(0xffffffffu);
    return Uint256(max);
  }
  Uint256 t = Uint256::FromU64Shifted(mant, shift);
  if (t.IsZero()) return Uint256::FromU64Shifted(1, 0);
  return t;
}

double DifficultyFromTarget(const Uint256& target) {
  if (target.IsZero()) return std::numeric_limits<double>::infinity();
  return static_cast<double>(Diff1Target().ToLongDouble() / target.ToLongDouble());
}

}  // namespace synth::bitcoin
