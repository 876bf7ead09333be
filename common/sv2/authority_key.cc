#include "common/sv2/authority_key.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/hash/sha256.h"
#include "common/sv2/field.h"

namespace synth::sv2 {
namespace {

constexpr std::string_view kAlphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr size_t kMaxBase58Chars = 128;
constexpr uint8_t kVersion[2] = {1, 0};  // LE u16 1

}  // namespace

std::string Base58CheckEncode(std::span<const uint8_t> payload) {
  std::vector<uint8_t> data(payload.begin(), payload.end());
  hash::Digest check = hash::Sha256d(data);
  data.insert(data.end(), check.begin(), check.begin() + 4);
  size_t zeros = 0;
  while (zeros < data.size() && data[zeros] == 0) ++zeros;
  std::vector<uint8_t> digits;  // base 58, least significant first
  for (size_t i = zeros; i < data.size(); ++i) {
    int carry = data[i];
    for (uint8_t& d : digits) {
      carry += 256 * d;
      d = static_cast<uint8_t>(carry % 58);
      carry /= 58;
    }
    while (carry > 0) {
      digits.push_back(static_cast<uint8_t>(carry % 58));
      carry /= 58;
    }
  }
  std::string out(zeros, '1');
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) out.push_back(kAlphabet[*it]);
  return out;
}

absl::StatusOr<std::vector<uint8_t>> Base58CheckDecode(std::string_view text) {
  if (text.size() > kMaxBase58Chars) return absl::InvalidArgumentError("base58: too long");
  size_t zeros = 0;
  while (zeros < text.size() && text[zeros] == '1') ++zeros;
  std::vector<uint8_t> bytes;  // base 256, least significant first
  for (size_t i = zeros; i < text.size(); ++i) {
    size_t digit = kAlphabet.find(text[i]);
    if (digit == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("base58: character ", i + 1, " is not in the alphabet"));
    }
    int carry = static_cast<int>(digit);
    for (uint8_t& b : bytes) {
      carry += 58 * b;
      b = static_cast<uint8_t>(carry & 0xff);
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push_back(static_cast<uint8_t>(carry & 0xff));
      carry >>= 8;
    }
  }
  std::vector<uint8_t> data(zeros, 0);
  data.insert(data.end(), bytes.rbegin(), bytes.rend());
  if (data.size() < 4) return absl::InvalidArgumentError("base58check: shorter than its checksum");
  std::span<const uint8_t> payload(data.data(), data.size() - 4);
  hash::Digest check = hash::Sha256d(payload);
  if (!std::equal(check.begin(), check.begin() + 4, data.end() - 4)) {
    return absl::InvalidArgumentError("base58check: checksum mismatch (mistyped key?)");
  }
  return std::vector<uint8_t>(payload.begin(), payload.end());
}

std::string FormatAuthorityKey(const XOnly& key) {
  std::vector<uint8_t> payload(std::begin(kVersion), std::end(kVersion));
  payload.insert(payload.end(), key.begin(), key.end());
  return Base58CheckEncode(payload);
}

absl::StatusOr<XOnly> ParseAuthorityKey(std::string_view text) {
  absl::StatusOr<std::vector<uint8_t>> payload = Base58CheckDecode(text);
  if (!payload.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("authority key: ", payload.status().message()));
  }
  if (payload->size() != 34) {
    return absl::InvalidArgumentError(
        absl::StrCat("authority key: ", payload->size(), " bytes, expected 34 (version + key)"));
  }
  if ((*payload)[0] != kVersion[0] || (*payload)[1] != kVersion[1]) {
    return absl::InvalidArgumentError("authority key: unknown version prefix (expected [1, 0])");
  }
  XOnly key;
  std::copy(payload->begin() + 2, payload->end(), key.begin());
  Fe x = Fe::FromBytes(key);
  if (x.ToBytes() != key || !IsValidX(x)) {
    return absl::InvalidArgumentError("authority key: not a secp256k1 x coordinate");
  }
  return key;
}

}  // namespace synth::sv2
