// File: common/sv2/noise.h
//
// The SV2 Noise handshake, Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256 (docs/DESIGN.md §9.2):
//
//   act 1, initiator → responder:  e                                         64 bytes
//   act 2, responder → initiator:  e, ee, s, es, SIGNATURE_NOISE_MESSAGE      234 bytes
//                                  (64 + 80 encrypted static key + 90 encrypted certificate;
//                                   the specification's "170" is wrong)
//
// The initiator then checks the certificate: a BIP 340 signature by the pool's authority key
// over SHA-256(version ‖ valid_from ‖ not_valid_after ‖ server x-only key), inside its validity
// window. Both sides end with two CipherStates: initiator→responder and responder→initiator.
//
//   NoiseInitiator client(authority_key, SystemRandom());
//   ASSIGN_OR_RETURN(EllSwift act1, client.WriteAct1());                     // send
//   ASSIGN_OR_RETURN(TransportCiphers c, client.ReadAct2(act2, absl::Now()));
//
//   NoiseResponder server(credentials, SystemRandom());
//   ASSIGN_OR_RETURN(NoiseResponder::Reply r, server.Respond(act1));         // send r.act2
//
// Errors: InvalidArgument (wrong size, out of order), DataLoss (a MAC does not verify: tampered
// or corrupted), PermissionDenied (the certificate: another authority, expired, not yet valid,
// unknown version). Thread-compatible; each object serves one handshake.
#ifndef SYNTH_COMMON_SV2_NOISE_H_
#define SYNTH_COMMON_SV2_NOISE_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sv2/cipher.h"
#include "common/sv2/ellswift.h"
#include "common/sv2/keys.h"
#include "common/sv2/random.h"

namespace synth::sv2 {

inline constexpr std::string_view kNoiseProtocolName =
    "Noise_NX_Secp256k1+EllSwift_ChaChaPoly_SHA256";
inline constexpr size_t kCertificateSize = 74;
inline constexpr size_t kAct1Size = 64;
inline constexpr size_t kAct2Size = 64 + (64 + kMacSize) + (kCertificateSize + kMacSize);  // 234

// SIGNATURE_NOISE_MESSAGE: the certificate without the keys (they are known from the handshake
// and the URL).
struct Certificate {
  uint16_t version = 0;
  uint32_t valid_from = 0;       // Unix seconds.
  uint32_t not_valid_after = 0;  // Unix seconds.
  Signature signature{};

  std::array<uint8_t, kCertificateSize> Encode() const;
  static Certificate Decode(std::span<const uint8_t, kCertificateSize> bytes);
};

// The signed message: SHA-256(version ‖ valid_from ‖ not_valid_after ‖ server_key), LE fields.
Bytes32 CertificateDigest(const Certificate& cert, const XOnly& server_key);

// Signs a version-0 certificate for `server_key` with the authority's secret key.
absl::StatusOr<Certificate> SignCertificate(const SecretKey& authority, const XOnly& server_key,
                                            uint32_t valid_from, uint32_t not_valid_after,
                                            const RandomFn& random);

// PermissionDenied unless `cert` is version 0, valid at `now` and signed by `authority` for
// `server_key`; the message says which check failed.
absl::Status VerifyCertificate(const Certificate& cert, const XOnly& server_key,
                               const XOnly& authority, absl::Time now);

struct TransportCiphers {
  CipherState send;
  CipherState recv;
};

// The Noise symmetric state (ck, h, k) shared by both roles.
class SymmetricState {
 public:
  SymmetricState();
  void MixHash(std::span<const uint8_t> data);
  void MixKey(std::span<const uint8_t> input_key_material);
  absl::StatusOr<std::vector<uint8_t>> EncryptAndHash(std::span<const uint8_t> plaintext);
  absl::StatusOr<std::vector<uint8_t>> DecryptAndHash(std::span<const uint8_t> ciphertext);
  // Returns (initiator→responder, responder→initiator).
  std::pair<CipherState, CipherState> Split();
  const Bytes32& handshake_hash() const { return h_; }

 private:
  Bytes32 ck_{};
  Bytes32 h_{};
  CipherState k_;
};

class NoiseInitiator {
 public:
  NoiseInitiator(XOnly authority_key, RandomFn random);
  absl::StatusOr<EllSwift> WriteAct1();
  // Reads act 2 and verifies the certificate at `now`.
  absl::StatusOr<TransportCiphers> ReadAct2(std::span<const uint8_t> message, absl::Time now);
  // The server's static x-only key (after ReadAct2 decrypted it).
  const XOnly& server_key() const { return server_key_; }
  const Certificate& certificate() const { return certificate_; }

 private:
  const XOnly authority_key_;
  const RandomFn random_;
  SymmetricState state_;
  SecretKey ephemeral_;
  EllSwift ephemeral_public_{};
  bool wrote_act1_ = false;
  XOnly server_key_{};
  Certificate certificate_;
};

// What a responder proves itself with: its static key and a certificate for it.
struct ResponderCredentials {
  SecretKey static_key;
  Certificate certificate;
};

class NoiseResponder {
 public:
  NoiseResponder(ResponderCredentials credentials, RandomFn random);
  struct Reply {
    std::array<uint8_t, kAct2Size> act2{};
    TransportCiphers ciphers;  // send = responder→initiator
  };
  absl::StatusOr<Reply> Respond(std::span<const uint8_t> act1);

 private:
  const ResponderCredentials credentials_;
  const RandomFn random_;
  SymmetricState state_;
};

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_NOISE_H_
