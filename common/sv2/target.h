// File: common/sv2/target.h
//
// SV2 carries share targets as U256 (32 little-endian bytes); the rest of synth speaks pool
// difficulty (diff1 / target, docs/DESIGN.md §3). These convert between the two so a difficulty
// read back from a target never asks for easier shares than the pool set.
//
//   ASSIGN_OR_RETURN(U256 t, TargetForDifficulty(0.001));        // SetTarget from a difficulty
//   ASSIGN_OR_RETURN(double d, DifficultyForTarget(t));          // ClientJob.difficulty
//   // TargetFromDifficulty(d) <= t, always
//
// Thread-safe: pure functions.
#ifndef SYNTH_COMMON_SV2_TARGET_H_
#define SYNTH_COMMON_SV2_TARGET_H_

#include "absl/status/statusor.h"
#include "common/bitcoin/uint256.h"
#include "common/sv2/wire.h"

namespace synth::sv2 {

U256 ToU256(const bitcoin::Uint256& value);
bitcoin::Uint256 FromU256(const U256& value);

// The largest target (all bits set): "any share", the default maximum_target.
U256 MaxTarget();

// The target for a pool difficulty (bitcoin::TargetFromDifficulty).
absl::StatusOr<U256> TargetForDifficulty(double difficulty);

// The difficulty `target` stands for, rounded so that TargetFromDifficulty(result) <= target.
// InvalidArgument for a zero target.
absl::StatusOr<double> DifficultyForTarget(const U256& target);

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_TARGET_H_
