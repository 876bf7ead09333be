#include "common/sv2/target.h"

#include <cmath>
#include <limits>

namespace synth::sv2 {

U256 ToU256(const bitcoin::Uint256& value) {
  U256 out;
  for (int i = 0; i < 8; ++i) {
    for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<uint8_t>(value.words()[i] >> (8 * b));
  }
  return out;
}

bitcoin::Uint256 FromU256(const U256& value) { return bitcoin::Uint256::FromHash(value); }

U256 MaxTarget() {
  U256 all;
  all.fill(0xff);
  return all;
}

absl::StatusOr<U256> TargetForDifficulty(double difficulty) {
  absl::StatusOr<bitcoin::Uint256> t = bitcoin::TargetFromDifficulty(difficulty);
  if (!t.ok()) return t.status();
  return ToU256(*t);
}

absl::StatusOr<double> DifficultyForTarget(const U256& target) {
  bitcoin::Uint256 t = FromU256(target);
  if (t.IsZero()) return absl::InvalidArgumentError("SV2 target is zero");
  double d = bitcoin::DifficultyFromTarget(t);
  // The double may round to a slightly easier difficulty; step up until it is not.
  for (int i = 0; i < 64; ++i) {
    absl::StatusOr<bitcoin::Uint256> back = bitcoin::TargetFromDifficulty(d);
    if (back.ok() && *back <= t) return d;
    d = std::nextafter(d, std::numeric_limits<double>::infinity());
  }
  return d;
}

}  // namespace synth::sv2
