// File: common/sv2/keys.h
//
// secp256k1 keys for SV2 through Debian's libsecp256k1 0.2: secret keys, BIP 340 x-only public
// keys and Schnorr signatures (the Noise certificate, docs/DESIGN.md §9.2), and BIP 324's x-only
// ECDH over ElligatorSwift-encoded keys (the handshake's DH).
//
//   ASSIGN_OR_RETURN(SecretKey sk, GenerateSecretKey(SystemRandom()));
//   ASSIGN_OR_RETURN(XOnly pub, XOnlyPublicKey(sk));
//   ASSIGN_OR_RETURN(Signature sig, SchnorrSign(sk, digest, aux));
//   bool ok = SchnorrVerify(pub, digest, sig);
//   ASSIGN_OR_RETURN(Bytes32 secret, V2Ecdh(sk, my_ellswift, their_ellswift, /*initiating=*/true));
//
// A SecretKey wipes its bytes when destroyed and has no stream operator: keys are never logged.
// Thread-safe: one process-wide libsecp256k1 context, created and randomized once, then only read.
#ifndef SYNTH_COMMON_SV2_KEYS_H_
#define SYNTH_COMMON_SV2_KEYS_H_

#include <array>
#include <cstdint>
#include <span>

#include "absl/status/statusor.h"
#include "common/sv2/ellswift.h"
#include "common/sv2/random.h"

namespace synth::sv2 {

using Bytes32 = std::array<uint8_t, 32>;
using Signature = std::array<uint8_t, 64>;

class SecretKey {
 public:
  SecretKey() = default;
  explicit SecretKey(const Bytes32& bytes) : bytes_(bytes) {}
  SecretKey(const SecretKey&) = default;
  SecretKey& operator=(const SecretKey&) = default;
  ~SecretKey();
  const Bytes32& bytes() const { return bytes_; }

 private:
  Bytes32 bytes_{};
};

// Returns a fresh key (uniform in [1, n-1]).
absl::StatusOr<SecretKey> GenerateSecretKey(const RandomFn& random);

// InvalidArgument unless 0 < key < n (the group order).
absl::Status CheckSecretKey(const SecretKey& key);

// Returns the BIP 340 x-only public key of `key`.
absl::StatusOr<XOnly> XOnlyPublicKey(const SecretKey& key);

// Returns `key`'s public key as a fresh ElligatorSwift encoding (BIP 324 ellswift_create).
absl::StatusOr<EllSwift> EllSwiftPublicKey(const SecretKey& key, const RandomFn& random);

// BIP 324 ellswift_ecdh_xonly: the x coordinate of key * (the point `theirs` encodes).
absl::StatusOr<Bytes32> EllSwiftEcdhXOnly(std::span<const uint8_t, 64> theirs,
                                          const SecretKey& key);

// BIP 324 v2_ecdh, the SV2 handshake's ECDH(k, rk): the x-only ECDH secret hashed with the tag
// "bip324_ellswift_xonly_ecdh" and both encodings, the initiator's first.
absl::StatusOr<Bytes32> V2Ecdh(const SecretKey& key, const EllSwift& ours, const EllSwift& theirs,
                               bool initiating);

// BIP 340 signature of `message` (any length) with auxiliary randomness `aux_rand`.
absl::StatusOr<Signature> SchnorrSign(const SecretKey& key, std::span<const uint8_t> message,
                                      const Bytes32& aux_rand);

// BIP 340 verification; false for a public key that is not on the curve.
bool SchnorrVerify(const XOnly& public_key, std::span<const uint8_t> message, const Signature& sig);

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_KEYS_H_
