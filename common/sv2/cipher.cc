#include "common/sv2/cipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <limits>
#include <memory>

namespace synth::sv2 {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

constexpr size_t kMaxAeadInput = 1u << 24;  // Far above a 65535-byte Noise message.

std::array<uint8_t, 12> NoiseNonce(uint64_t n) {
  std::array<uint8_t, 12> iv{};
  for (int i = 0; i < 8; ++i) iv[4 + i] = static_cast<uint8_t>(n >> (8 * i));
  return iv;
}

// Runs ChaCha20-Poly1305 one way. For decryption `tag` is the expected MAC.
bool Aead(bool encrypt, const Key32& key, uint64_t n, std::span<const uint8_t> ad,
          std::span<const uint8_t> in, uint8_t* out, uint8_t* tag) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  std::array<uint8_t, 12> iv = NoiseNonce(n);
  if (EVP_CipherInit_ex(ctx.get(), EVP_chacha20_poly1305(), nullptr, key.data(), iv.data(),
                        encrypt ? 1 : 0) != 1) {
    return false;
  }
  int len = 0;
  if (!ad.empty() &&
      EVP_CipherUpdate(ctx.get(), nullptr, &len, ad.data(), static_cast<int>(ad.size())) != 1) {
    return false;
  }
  if (!in.empty() &&
      EVP_CipherUpdate(ctx.get(), out, &len, in.data(), static_cast<int>(in.size())) != 1) {
    return false;
  }
  if (!encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kMacSize), tag) != 1) {
    return false;
  }
  uint8_t final_block[16];
  if (EVP_CipherFinal_ex(ctx.get(), final_block, &len) != 1) return false;  // MAC mismatch too
  if (encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kMacSize), tag) != 1) {
    return false;
  }
  return true;
}

}  // namespace

Key32 HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Key32 out;
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(),
       &len);
  return out;
}

std::pair<Key32, Key32> Hkdf2(const Key32& chaining_key, std::span<const uint8_t> ikm) {
  Key32 temp = HmacSha256(chaining_key, ikm);
  const uint8_t one = 0x01;
  Key32 out1 = HmacSha256(temp, std::span<const uint8_t>(&one, 1));
  std::array<uint8_t, 33> second;
  std::copy(out1.begin(), out1.end(), second.begin());
  second[32] = 0x02;
  Key32 out2 = HmacSha256(temp, second);
  OPENSSL_cleanse(temp.data(), temp.size());
  OPENSSL_cleanse(second.data(), second.size());
  return {out1, out2};
}

CipherState::CipherState(CipherState&& other) noexcept : key_(other.key_), nonce_(other.nonce_) {
  other.Wipe();
}

CipherState& CipherState::operator=(CipherState&& other) noexcept {
  if (this != &other) {
    Wipe();
    key_ = other.key_;
    nonce_ = other.nonce_;
    other.Wipe();
  }
  return *this;
}

CipherState::~CipherState() { Wipe(); }

void CipherState::Wipe() {
  if (key_) OPENSSL_cleanse(key_->data(), key_->size());
  key_.reset();
  nonce_ = 0;
}

void CipherState::InitializeKey(const Key32& key) {
  Wipe();
  key_ = key;
}

absl::StatusOr<std::vector<uint8_t>> CipherState::EncryptWithAd(
    std::span<const uint8_t> ad, std::span<const uint8_t> plaintext) {
  if (!key_) return std::vector<uint8_t>(plaintext.begin(), plaintext.end());
  if (nonce_ == std::numeric_limits<uint64_t>::max()) {
    return absl::ResourceExhaustedError("Noise: nonce space exhausted");
  }
  if (plaintext.size() > kMaxAeadInput || ad.size() > kMaxAeadInput) {
    return absl::InvalidArgumentError("Noise: message too large");
  }
  std::vector<uint8_t> out(plaintext.size() + kMacSize);
  if (!Aead(true, *key_, nonce_, ad, plaintext, out.data(), out.data() + plaintext.size())) {
    return absl::InternalError("ChaCha20-Poly1305 encryption failed");
  }
  ++nonce_;
  return out;
}

absl::StatusOr<std::vector<uint8_t>> CipherState::DecryptWithAd(
    std::span<const uint8_t> ad, std::span<const uint8_t> ciphertext) {
  if (!key_) return std::vector<uint8_t>(ciphertext.begin(), ciphertext.end());
  if (ciphertext.size() < kMacSize) {
    return absl::DataLossError("Noise: ciphertext shorter than its MAC");
  }
  if (nonce_ == std::numeric_limits<uint64_t>::max()) {
    return absl::ResourceExhaustedError("Noise: nonce space exhausted");
  }
  if (ciphertext.size() > kMaxAeadInput || ad.size() > kMaxAeadInput) {
    return absl::InvalidArgumentError("Noise: message too large");
  }
  size_t n = ciphertext.size() - kMacSize;
  std::vector<uint8_t> out(n);
  std::array<uint8_t, kMacSize> tag;
  std::copy(ciphertext.begin() + n, ciphertext.end(), tag.begin());
  if (!Aead(false, *key_, nonce_, ad, ciphertext.first(n), out.data(), tag.data())) {
    OPENSSL_cleanse(out.data(), out.size());
    return absl::DataLossError("Noise: MAC does not verify (tampered or wrong key)");
  }
  ++nonce_;
  return out;
}

}  // namespace synth::sv2
