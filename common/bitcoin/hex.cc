#include "common/bitcoin/hex.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace synth::bitcoin {
namespace {

int Nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr char kDigits[] = "0123456789abcdef";

}  // namespace

absl::StatusOr<std::vector<uint8_t>> HexToBytes(std::string_view hex, std::string_view field) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": hex has odd length ", hex.size()));
  }
  std::vector<uint8_t> out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = Nibble(hex[2 * i]);
    int lo = Nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(field), ": not a hex digit at offset ", hi < 0 ? 2 * i : 2 * i + 1));
    }
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

absl::Status CheckHexLength(std::string_view hex, size_t bytes, std::string_view field) {
  if (hex.size() != 2 * bytes) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": expected ", 2 * bytes,
                                                   " hex digits, got ", hex.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> HexToU32BigEndian(std::string_view hex, std::string_view field) {
  absl::StatusOr<std::array<uint8_t, 4>> b = HexToArray<4>(hex, field);
  if (!b.ok()) return b.status();
  return uint32_t{(*b)[0]} << 24 | uint32_t{(*b)[1]} << 16 | uint32_t{(*b)[2]} << 8 | (*b)[3];
}

std::string BytesToHex(std::span<const uint8_t> bytes) {
  std::string out(bytes.size() * 2, '0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

std::string U32ToHexBigEndian(uint32_t value) {
  const uint8_t b[4] = {static_cast<uint8_t>(value >> 24), static_cast<uint8_t>(value >> 16),
                        static_cast<uint8_t>(value >> 8), static_cast<uint8_t>(value)};
  return BytesToHex(b);
}

std::string BytesToHexReversed(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> rev(bytes.rbegin(), bytes.rend());
  return BytesToHex(rev);
}

}  // namespace synth::bitcoin
