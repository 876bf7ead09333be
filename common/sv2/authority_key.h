// File: common/sv2/authority_key.h
//
// The pool authority public key as SV2 URLs carry it (docs/DESIGN.md §9.2): base58check of the
// 2-byte version prefix [1, 0] followed by the 32-byte x-only key, e.g.
// "9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh". Base58check is Bitcoin's: the payload,
// then the first 4 bytes of sha256d(payload), in the base58 alphabet, leading zero bytes as '1'.
//
//   ASSIGN_OR_RETURN(XOnly key, ParseAuthorityKey(url_path));
//   std::string text = FormatAuthorityKey(key);
//
// Thread-safe: pure functions.
#ifndef SYNTH_COMMON_SV2_AUTHORITY_KEY_H_
#define SYNTH_COMMON_SV2_AUTHORITY_KEY_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sv2/ellswift.h"

namespace synth::sv2 {

// Base58check of `payload`.
std::string Base58CheckEncode(std::span<const uint8_t> payload);

// Decodes base58check; InvalidArgument for a character outside the alphabet, a bad checksum or
// an input over 128 characters.
absl::StatusOr<std::vector<uint8_t>> Base58CheckDecode(std::string_view text);

// Returns the key in its URL form.
std::string FormatAuthorityKey(const XOnly& key);

// Parses the URL form; InvalidArgument names what is wrong (encoding, checksum, version
// prefix, length, not a curve point).
absl::StatusOr<XOnly> ParseAuthorityKey(std::string_view text);

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_AUTHORITY_KEY_H_
