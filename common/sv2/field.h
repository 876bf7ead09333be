// File: common/sv2/field.h
//
// Arithmetic in secp256k1's base field GF(p), p = 2^256 - 2^32 - 977: what ElligatorSwift
// (ellswift.h) needs and Debian's libsecp256k1 0.2 does not expose.
//
//   Fe u = Fe::FromBytes(bytes);                 // 32 big-endian bytes, reduced mod p
//   std::optional<Fe> r = (u * u + Fe(7)).Sqrt();
//   std::array<uint8_t, 32> out = r->ToBytes();
//
// Values are always kept reduced (< p), so == compares field elements. Mul, Square and the
// fixed-exponent powers (Inverse, Sqrt) do not branch on the values; ElligatorSwift's encoder
// around them does (like libsecp256k1's xelligatorswift_var), which is fine for public keys.
// Thread-safe: a value type.
#ifndef SYNTH_COMMON_SV2_FIELD_H_
#define SYNTH_COMMON_SV2_FIELD_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

namespace synth::sv2 {

class Fe {
 public:
  constexpr Fe() = default;
  constexpr explicit Fe(uint64_t v) : n_{v, 0, 0, 0} {}

  // Reads 32 big-endian bytes; values >= p wrap (ElligatorSwift decodes u and t that way).
  static Fe FromBytes(std::span<const uint8_t, 32> big_endian);
  // Returns the 32 big-endian bytes of the reduced value.
  std::array<uint8_t, 32> ToBytes() const;

  bool IsZero() const { return (n_[0] | n_[1] | n_[2] | n_[3]) == 0; }
  friend bool operator==(const Fe& a, const Fe& b) = default;

  friend Fe operator+(const Fe& a, const Fe& b);
  friend Fe operator-(const Fe& a, const Fe& b);
  friend Fe operator*(const Fe& a, const Fe& b);
  Fe operator-() const { return Fe() - *this; }
  Fe Square() const { return *this * *this; }
  // Returns 1/this (this^(p-2)); the inverse of 0 is 0.
  Fe Inverse() const;
  // Returns this^((p+1)/4) when it is a square root (p = 3 mod 4), else nullopt. This is the
  // root BIP 324's reference code picks.
  std::optional<Fe> Sqrt() const;
  bool IsSquare() const { return Sqrt().has_value(); }

 private:
  using Limbs = std::array<uint64_t, 4>;  // Little-endian 64-bit limbs, always < p.
  Fe Pow(const Limbs& exponent) const;
  Limbs n_{};
};

// Returns true when `x` is the x coordinate of a point on y^2 = x^3 + 7.
bool IsValidX(const Fe& x);

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_FIELD_H_
