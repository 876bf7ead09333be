// File: common/sv2/cipher.h
//
// The Noise primitives SV2 uses (docs/DESIGN.md §9.2): HMAC-SHA256, the two-output HKDF of the
// Noise framework, and a CipherState over ChaCha20-Poly1305 (IETF, RFC 8439) with Noise's nonce:
// 4 zero bytes then the 64-bit counter little-endian. OpenSSL 3 does the cipher and the HMAC.
//
//   CipherState c;
//   c.InitializeKey(key);
//   ASSIGN_OR_RETURN(std::vector<uint8_t> ct, c.EncryptWithAd({}, plaintext));   // n = 0
//   ASSIGN_OR_RETURN(std::vector<uint8_t> pt, peer.DecryptWithAd({}, ct));       // MAC checked
//
// Without a key, EncryptWithAd/DecryptWithAd pass the data through (Noise's empty k). A failed
// decryption leaves the nonce unchanged. Thread-compatible.
#ifndef SYNTH_COMMON_SV2_CIPHER_H_
#define SYNTH_COMMON_SV2_CIPHER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace synth::sv2 {

inline constexpr size_t kMacSize = 16;

using Key32 = std::array<uint8_t, 32>;

// HMAC-SHA256(key, data).
Key32 HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data);

// Noise's HKDF with two outputs and an empty info (RFC 5869): temp = HMAC(ck, ikm),
// out1 = HMAC(temp, 0x01), out2 = HMAC(temp, out1 || 0x02).
std::pair<Key32, Key32> Hkdf2(const Key32& chaining_key, std::span<const uint8_t> ikm);

class CipherState {
 public:
  CipherState() = default;
  CipherState(const CipherState&) = delete;
  CipherState& operator=(const CipherState&) = delete;
  CipherState(CipherState&& other) noexcept;
  CipherState& operator=(CipherState&& other) noexcept;
  ~CipherState();

  // Sets k = key, n = 0.
  void InitializeKey(const Key32& key);
  bool HasKey() const { return key_.has_value(); }
  uint64_t nonce() const { return nonce_; }

  // ENCRYPT(k, n++, ad, plaintext): plaintext.size() + 16 bytes.
  absl::StatusOr<std::vector<uint8_t>> EncryptWithAd(std::span<const uint8_t> ad,
                                                     std::span<const uint8_t> plaintext);
  // DECRYPT(k, n++, ad, ciphertext); DataLoss when the MAC does not verify.
  absl::StatusOr<std::vector<uint8_t>> DecryptWithAd(std::span<const uint8_t> ad,
                                                     std::span<const uint8_t> ciphertext);

 private:
  void Wipe();
  std::optional<Key32> key_;
  uint64_t nonce_ = 0;
};

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_CIPHER_H_
