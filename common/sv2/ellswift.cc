#include "common/sv2/ellswift.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace synth::sv2 {
namespace {

constexpr int kMaxEncodeTries = 1024;  // Each try succeeds with probability ~1/4.

const Fe kSeven(7);

// c0 = sqrt(-3), the root (-3)^((p+1)/4) that BIP 324 calls MINUS_3_SQRT.
const Fe& MinusThreeSqrt() {
  static const Fe c0 = *(-Fe(3)).Sqrt();
  return c0;
}

const Fe& Half() {
  static const Fe half = Fe(2).Inverse();
  return half;
}

}  // namespace

Fe XSwiftEc(Fe u, Fe t) {
  if (u.IsZero()) u = Fe(1);
  if (t.IsZero()) t = Fe(1);
  Fe g_u = u.Square() * u + kSeven;  // u^3 + 7
  if ((g_u + t.Square()).IsZero()) t = t + t;
  Fe x_big = (g_u - t.Square()) * (t + t).Inverse();          // X = (u^3 + 7 - t^2) / 2t
  Fe y_big = (x_big + t) * (MinusThreeSqrt() * u).Inverse();  // Y = (X + t) / (c0 u)
  Fe x3 = u + Fe(4) * y_big.Square();
  if (IsValidX(x3)) return x3;
  Fe x_over_y = x_big * y_big.Inverse();
  Fe x2 = (-x_over_y - u) * Half();
  if (IsValidX(x2)) return x2;
  return (x_over_y - u) * Half();  // x1: one of the three is always on the curve.
}

std::optional<Fe> XSwiftEcInv(const Fe& x, const Fe& u, int c) {
  if (u.IsZero() || c < 0 || c > 7) return std::nullopt;
  Fe g_u = u.Square() * u + kSeven;
  Fe s;
  Fe v;
  if ((c & 2) == 0) {
    // x is x1 (c = 0, 4) or x2 (c = 1, 5); x3 would take precedence when -u-x is on the curve.
    if (IsValidX(-u - x)) return std::nullopt;
    s = -g_u * (u.Square() + u * x + x.Square()).Inverse();
    v = x;
  } else {
    // x is x3 (c = 2, 3, 6, 7).
    s = x - u;
    if (s.IsZero()) return std::nullopt;
    std::optional<Fe> r = (-s * (Fe(4) * g_u + Fe(3) * s * u.Square())).Sqrt();
    if (!r) return std::nullopt;
    if ((c & 1) && r->IsZero()) return std::nullopt;
    v = (*r * s.Inverse() - u) * Half();
  }
  std::optional<Fe> w = s.Sqrt();
  if (!w) return std::nullopt;
  const Fe& c0 = MinusThreeSqrt();
  switch (c & 5) {
    case 0:
      return *w * ((c0 - Fe(1)) * Half() * u - v);
    case 1:
      return *w * ((c0 + Fe(1)) * Half() * u + v);
    case 4:
      return *w * ((Fe(1) - c0) * Half() * u + v);
    default:
      return *w * ((-c0 - Fe(1)) * Half() * u - v);
  }
}

XOnly EllSwiftDecode(std::span<const uint8_t, 64> encoding) {
  Fe u = Fe::FromBytes(encoding.subspan<0, 32>());
  Fe t = Fe::FromBytes(encoding.subspan<32, 32>());
  return XSwiftEc(u, t).ToBytes();
}

absl::StatusOr<EllSwift> EllSwiftEncode(std::span<const uint8_t, 32> x_bytes,
                                        const RandomFn& random) {
  Fe x = Fe::FromBytes(x_bytes);
  XOnly canonical = x.ToBytes();
  if (!std::equal(canonical.begin(), canonical.end(), x_bytes.begin())) {
    return absl::InvalidArgumentError("ElligatorSwift: x coordinate not below p");
  }
  if (!IsValidX(x)) return absl::InvalidArgumentError("ElligatorSwift: x is not on the curve");
  for (int i = 0; i < kMaxEncodeTries; ++i) {
    std::array<uint8_t, 33> draw;
    if (absl::Status s = random(draw); !s.ok()) return s;
    Fe u = Fe::FromBytes(std::span<const uint8_t, 32>(draw.data(), 32));
    std::optional<Fe> t = XSwiftEcInv(x, u, draw[32] & 7);
    if (!t) continue;
    EllSwift out;
    std::array<uint8_t, 32> ub = u.ToBytes();
    std::array<uint8_t, 32> tb = t->ToBytes();
    std::copy(ub.begin(), ub.end(), out.begin());
    std::copy(tb.begin(), tb.end(), out.begin() + 32);
    return out;
  }
  return absl::InternalError(absl::StrCat("ElligatorSwift: no encoding after ", kMaxEncodeTries,
                                          " tries (broken randomness?)"));
}

}  // namespace synth::sv2
