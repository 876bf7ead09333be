#include "common/sv2/field.h"

namespace synth::sv2 {
namespace {

using u128 = unsigned __int128;
using Limbs = std::array<uint64_t, 4>;

// p = 2^256 - kC, so 2^256 = kC (mod p).
constexpr uint64_t kC = 0x1000003D1ULL;
constexpr Limbs kPMinus2 = {0xFFFFFFFEFFFFFC2DULL, ~0ULL, ~0ULL, ~0ULL};
constexpr Limbs kSqrtExponent = {0xFFFFFFFFBFFFFF0CULL, ~0ULL, ~0ULL,
                                 0x3FFFFFFFFFFFFFFFULL};  // (p+1)/4

// Returns a + b mod 2^256 and the carry out.
uint64_t AddCarry(Limbs& a, const Limbs& b) {
  u128 acc = 0;
  for (int i = 0; i < 4; ++i) {
    acc += static_cast<u128>(a[i]) + b[i];
    a[i] = static_cast<uint64_t>(acc);
    acc >>= 64;
  }
  return static_cast<uint64_t>(acc);
}

// a + kC * small mod 2^256 (small < 2^64), returning the carry out.
uint64_t AddSmallTimesC(Limbs& a, uint64_t small) {
  u128 acc = static_cast<u128>(small) * kC;
  for (int i = 0; i < 4; ++i) {
    acc += a[i];
    a[i] = static_cast<uint64_t>(acc);
    acc >>= 64;
  }
  return static_cast<uint64_t>(acc);
}

// Picks `b` when mask is all ones, `a` when it is zero.
Limbs Select(const Limbs& a, const Limbs& b, uint64_t mask) {
  Limbs out;
  for (int i = 0; i < 4; ++i) out[i] = (a[i] & ~mask) | (b[i] & mask);
  return out;
}

// Reduces a value v < 2^256 + p (given as limbs plus a carry bit) to [0, p).
Limbs ReduceOnce(const Limbs& v, uint64_t carry) {
  Limbs t = v;
  uint64_t carry2 = AddSmallTimesC(t, 1);  // t = v + kC = v - p + 2^256
  uint64_t mask = 0 - ((carry | carry2) & 1);
  return Select(v, t, mask);
}

}  // namespace

Fe Fe::FromBytes(std::span<const uint8_t, 32> big_endian) {
  Limbs n{};
  for (int i = 0; i < 32; ++i) {
    n[3 - i / 8] = (n[3 - i / 8] << 8) | big_endian[i];
  }
  Fe out;
  out.n_ = ReduceOnce(n, 0);
  return out;
}

std::array<uint8_t, 32> Fe::ToBytes() const {
  std::array<uint8_t, 32> out;
  for (int i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(n_[3 - i / 8] >> (56 - 8 * (i % 8)));
  return out;
}

Fe operator+(const Fe& a, const Fe& b) {
  Fe out = a;
  uint64_t carry = AddCarry(out.n_, b.n_);
  out.n_ = ReduceOnce(out.n_, carry);
  return out;
}

Fe operator-(const Fe& a, const Fe& b) {
  Fe out;
  u128 borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 d = static_cast<u128>(a.n_[i]) - b.n_[i] - borrow;
    out.n_[i] = static_cast<uint64_t>(d);
    borrow = (d >> 64) & 1;
  }
  // On a borrow the result wrapped by 2^256; adding p back is subtracting kC mod 2^256.
  Limbs fixed = out.n_;
  u128 acc = static_cast<u128>(fixed[0]) - kC;
  fixed[0] = static_cast<uint64_t>(acc);
  uint64_t b2 = static_cast<uint64_t>(acc >> 64) & 1;
  for (int i = 1; i < 4; ++i) {
    u128 d = static_cast<u128>(fixed[i]) - b2;
    fixed[i] = static_cast<uint64_t>(d);
    b2 = static_cast<uint64_t>(d >> 64) & 1;
  }
  out.n_ = Select(out.n_, fixed, 0 - static_cast<uint64_t>(borrow));
  return out;
}

Fe operator*(const Fe& a, const Fe& b) {
  uint64_t r[8] = {};
  for (int i = 0; i < 4; ++i) {
    u128 carry = 0;
    for (int j = 0; j < 4; ++j) {
      u128 t = static_cast<u128>(a.n_[i]) * b.n_[j] + r[i + j] + carry;
      r[i + j] = static_cast<uint64_t>(t);
      carry = t >> 64;
    }
    r[i + 4] = static_cast<uint64_t>(carry);
  }
  // high * 2^256 + low = high * kC + low (mod p): fold twice, then one conditional subtract.
  Limbs low;
  u128 acc = 0;
  for (int i = 0; i < 4; ++i) {
    acc += static_cast<u128>(r[4 + i]) * kC + r[i];
    low[i] = static_cast<uint64_t>(acc);
    acc >>= 64;
  }
  uint64_t top = static_cast<uint64_t>(acc);  // < 2^35
  uint64_t carry = AddSmallTimesC(low, top);
  carry = AddSmallTimesC(low, carry);  // A carry leaves low < 2^69: this one cannot carry.
  Fe out;
  out.n_ = ReduceOnce(low, carry);
  return out;
}

Fe Fe::Pow(const Limbs& exponent) const {
  Fe result(1);
  for (int i = 255; i >= 0; --i) {
    result = result.Square();
    // The exponents are public constants: branching on their bits leaks nothing.
    if ((exponent[i / 64] >> (i % 64)) & 1) result = result * *this;
  }
  return result;
}

Fe Fe::Inverse() const { return Pow(kPMinus2); }

std::optional<Fe> Fe::Sqrt() const {
  Fe root = Pow(kSqrtExponent);
  if (root.Square() == *this) return root;
  return std::nullopt;
}

bool IsValidX(const Fe& x) { return (x.Square() * x + Fe(7)).IsSquare(); }

}  // namespace synth::sv2
