// File: common/bitcoin/hex.h
//
// Hex encoding for everything that crosses the Stratum wire or a log line.
//
//   ASSIGN_OR_RETURN(std::vector<uint8_t> coinb1, HexToBytes(text, "coinb1"));
//   ASSIGN_OR_RETURN(uint32_t ntime, HexToU32BigEndian(params[7], "ntime"));
//   std::string s = BytesToHex(bytes);
//
// Errors are InvalidArgument and name the field they came from. Thread-safe: pure functions.
#ifndef SYNTH_COMMON_BITCOIN_HEX_H_
#define SYNTH_COMMON_BITCOIN_HEX_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace synth::bitcoin {

// Decodes hex (either case, even length, no prefix or spaces). `field` names the value in errors.
absl::StatusOr<std::vector<uint8_t>> HexToBytes(std::string_view hex, std::string_view field);

// Decodes hex that must be exactly N bytes.
template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> HexToArray(std::string_view hex, std::string_view field);

// Decodes an 8-hex big-endian rendering of a uint32 ("20000000" -> 0x20000000), as Stratum sends
// version, nbits, ntime and nonce.
absl::StatusOr<uint32_t> HexToU32BigEndian(std::string_view hex, std::string_view field);

// Encodes bytes as lowercase hex.
std::string BytesToHex(std::span<const uint8_t> bytes);

// Encodes a uint32 as 8 lowercase hex digits, big-endian (Stratum's form).
std::string U32ToHexBigEndian(uint32_t value);

// Encodes bytes reversed (the "display" order of hashes).
std::string BytesToHexReversed(std::span<const uint8_t> bytes);

// ---- implementation details ----
absl::Status CheckHexLength(std::string_view hex, size_t bytes, std::string_view field);

template <size_t N>
absl::StatusOr<std::array<uint8_t, N>> HexToArray(std::string_view hex, std::string_view field) {
  absl::Status length = CheckHexLength(hex, N, field);
  if (!length.ok()) return length;
  absl::StatusOr<std::vector<uint8_t>> bytes = HexToBytes(hex, field);
  if (!bytes.ok()) return bytes.status();
  std::array<uint8_t, N> out;
  for (size_t i = 0; i < N; ++i) out[i] = (*bytes)[i];
  return out;
}

}  // namespace synth::bitcoin

#endif  // SYNTH_COMMON_BITCOIN_HEX_H_
