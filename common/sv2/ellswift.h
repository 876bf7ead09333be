// File: common/sv2/ellswift.h
//
// ElligatorSwift encoding of secp256k1 x coordinates (BIP 324, "ElligatorSwift encoding of
// curve X coordinates"): a public key as 64 bytes that look uniformly random, which the SV2
// Noise handshake sends in place of plain keys (docs/DESIGN.md §9.2). libsecp256k1 gained this
// module in 0.4; Debian 12 ships 0.2, so it is written here on Fe (field.h) and checked against
// BIP 324's test vectors (tests/data/sv2/).
//
//   ASSIGN_OR_RETURN(EllSwift pub, EllSwiftEncode(x_only_key, SystemRandom()));
//   XOnly x = EllSwiftDecode(pub);                  // every 64-byte string decodes
//
// Thread-safe: pure functions (randomness through the RandomFn).
#ifndef SYNTH_COMMON_SV2_ELLSWIFT_H_
#define SYNTH_COMMON_SV2_ELLSWIFT_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "absl/status/statusor.h"
#include "common/sv2/field.h"
#include "common/sv2/random.h"

namespace synth::sv2 {

using EllSwift = std::array<uint8_t, 64>;  // u (32 bytes BE) || t (32 bytes BE)
using XOnly = std::array<uint8_t, 32>;     // An x coordinate, 32 bytes BE (BIP 340 form)

// BIP 324 xswiftec: the x coordinate that (u, t) decodes to.
Fe XSwiftEc(Fe u, Fe t);

// BIP 324 xswiftec_inv: a t with XSwiftEc(u, t) == x for branch `c` in [0, 8), or nullopt
// when that branch has no solution.
std::optional<Fe> XSwiftEcInv(const Fe& x, const Fe& u, int c);

// Decodes 64 bytes to the x coordinate they encode (u and t above p wrap).
XOnly EllSwiftDecode(std::span<const uint8_t, 64> encoding);

// Encodes `x` with fresh randomness (random u and branch until one has a solution).
// InvalidArgument when `x` is not on the curve; the RandomFn's error when it fails.
absl::StatusOr<EllSwift> EllSwiftEncode(std::span<const uint8_t, 32> x, const RandomFn& random);

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_ELLSWIFT_H_
