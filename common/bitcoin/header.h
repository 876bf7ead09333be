// File: common/bitcoin/header.h
//
// The 80-byte Bitcoin block header (docs/DESIGN.md §3):
//   version LE u32 | prev hash 32 B internal order | merkle root 32 B internal order |
//   ntime LE u32 | nbits LE u32 | nonce LE u32.
//
//   BlockHeader h{.version = 1, .prev_hash = prev, .merkle_root = root, .ntime = t,
//                 .nbits = 0x1a44b9f2, .nonce = 0x9546a142};
//   std::string shown = h.DisplayHash();   // "00000000000000001e8d68..."
//
// Thread-safe: a value type.
#ifndef SYNTH_COMMON_BITCOIN_HEADER_H_
#define SYNTH_COMMON_BITCOIN_HEADER_H_

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "common/hash/sha256.h"

namespace synth::bitcoin {

using Hash256 = std::array<uint8_t, 32>;  // A hash in internal (as-hashed) byte order.

struct BlockHeader {
  uint32_t version = 0;
  Hash256 prev_hash{};    // Internal order (the display hash reversed).
  Hash256 merkle_root{};  // Internal order, as sha256d produced it.
  uint32_t ntime = 0;
  uint32_t nbits = 0;
  uint32_t nonce = 0;

  // Returns the 80 serialized bytes.
  std::array<uint8_t, 80> Serialize() const;
  // Parses exactly 80 bytes; any other length is InvalidArgument.
  static absl::StatusOr<BlockHeader> Parse(std::span<const uint8_t> bytes);
  // Returns sha256d of the serialized header (internal order).
  hash::Digest Hash() const;
  // Returns the hash as block explorers show it (byte-reversed hex).
  std::string DisplayHash() const;

  friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

// Parses a display-order (block explorer) hash into internal order.
absl::StatusOr<Hash256> HashFromDisplayHex(std::string_view hex, std::string_view field);

// Reads/writes a little-endian u32.
uint32_t ReadLe32(const uint8_t* p);
void WriteLe32(uint8_t* p, uint32_t v);

}  // namespace synth::bitcoin

#endif  // SYNTH_COMMON_BITCOIN_HEADER_H_
