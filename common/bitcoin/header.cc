#include "common/bitcoin/header.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"

namespace synth::bitcoin {

uint32_t ReadLe32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

void WriteLe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

std::array<uint8_t, 80> BlockHeader::Serialize() const {
  std::array<uint8_t, 80> out;
  WriteLe32(&out[0], version);
  std::copy(prev_hash.begin(), prev_hash.end(), out.begin() + 4);
  std::copy(merkle_root.begin(), merkle_root.end(), out.begin() + 36);
  WriteLe32(&out[68], ntime);
  WriteLe32(&out[72], nbits);
  WriteLe32(&out[76], nonce);
  return out;
}

absl::StatusOr<BlockHeader> BlockHeader::Parse(std::span<const uint8_t> bytes) {
  if (bytes.size() != 80) {
    return absl::InvalidArgumentError(
        absl::StrCat("block header: expected 80 bytes, got ", bytes.size()));
  }
  BlockHeader h;
  h.version = ReadLe32(&bytes[0]);
  std::copy(bytes.begin() + 4, bytes.begin() + 36, h.prev_hash.begin());
  std::copy(bytes.begin() + 36, bytes.begin() + 68, h.merkle_root.begin());
  h.ntime = ReadLe32(&bytes[68]);
  h.nbits = ReadLe32(&bytes[72]);
  h.nonce = ReadLe32(&bytes[76]);
  return h;
}

hash::Digest BlockHeader::Hash() const { return hash::Sha256d(Serialize()); }

std::string BlockHeader::DisplayHash() const { return BytesToHexReversed(Hash()); }

absl::StatusOr<Hash256> HashFromDisplayHex(std::string_view hex, std::string_view field) {
  absl::StatusOr<Hash256> bytes = HexToArray<32>(hex, field);
  if (!bytes.ok()) return bytes.status();
  std::reverse(bytes->begin(), bytes->end());
  return *bytes;
}

}  // namespace synth::bitcoin
