#include "common/sv2/keys.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_ecdh.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include <string_view>
#include <vector>

#include "common/hash/sha256.h"

namespace synth::sv2 {
namespace {

constexpr int kMaxKeyDraws = 64;  // A draw is out of range with probability ~2^-128.

const secp256k1_context* Context() {
  static const secp256k1_context* ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    Bytes32 seed;
    // Blinding against side channels; without it (no randomness) the context still works.
    if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) == 1) {
      [[maybe_unused]] int blinded = secp256k1_context_randomize(c, seed.data());
    }
    OPENSSL_cleanse(seed.data(), seed.size());
    return c;
  }();
  return ctx;
}

int CopyX(unsigned char* output, const unsigned char* x32, const unsigned char*, void*) {
  std::copy(x32, x32 + 32, output);
  return 1;
}

absl::StatusOr<secp256k1_keypair> Keypair(const SecretKey& key) {
  secp256k1_keypair keypair;
  if (secp256k1_keypair_create(Context(), &keypair, key.bytes().data()) != 1) {
    return absl::InvalidArgumentError("secp256k1: invalid secret key");
  }
  return keypair;
}

}  // namespace

SecretKey::~SecretKey() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

absl::StatusOr<SecretKey> GenerateSecretKey(const RandomFn& random) {
  for (int i = 0; i < kMaxKeyDraws; ++i) {
    Bytes32 draw;
    if (absl::Status s = random(draw); !s.ok()) return s;
    SecretKey key(draw);
    OPENSSL_cleanse(draw.data(), draw.size());
    if (CheckSecretKey(key).ok()) return key;
  }
  return absl::InternalError("secp256k1: no valid secret key drawn (broken randomness?)");
}

absl::Status CheckSecretKey(const SecretKey& key) {
  if (secp256k1_ec_seckey_verify(Context(), key.bytes().data()) != 1) {
    return absl::InvalidArgumentError("secp256k1: secret key is zero or not below the order");
  }
  return absl::OkStatus();
}

absl::StatusOr<XOnly> XOnlyPublicKey(const SecretKey& key) {
  absl::StatusOr<secp256k1_keypair> keypair = Keypair(key);
  if (!keypair.ok()) return keypair.status();
  secp256k1_xonly_pubkey pub;
  XOnly out;
  if (secp256k1_keypair_xonly_pub(Context(), &pub, nullptr, &*keypair) != 1 ||
      secp256k1_xonly_pubkey_serialize(Context(), out.data(), &pub) != 1) {
    return absl::InternalError("secp256k1: cannot derive the x-only public key");
  }
  return out;
}

absl::StatusOr<EllSwift> EllSwiftPublicKey(const SecretKey& key, const RandomFn& random) {
  absl::StatusOr<XOnly> x = XOnlyPublicKey(key);
  if (!x.ok()) return x.status();
  return EllSwiftEncode(*x, random);
}

absl::StatusOr<Bytes32> EllSwiftEcdhXOnly(std::span<const uint8_t, 64> theirs,
                                          const SecretKey& key) {
  XOnly x = EllSwiftDecode(theirs);
  std::array<uint8_t, 33> compressed;
  compressed[0] = 0x02;  // Either y gives the same x after multiplying.
  std::copy(x.begin(), x.end(), compressed.begin() + 1);
  secp256k1_pubkey point;
  if (secp256k1_ec_pubkey_parse(Context(), &point, compressed.data(), compressed.size()) != 1) {
    return absl::InternalError("secp256k1: decoded ElligatorSwift x is not on the curve");
  }
  Bytes32 out;
  if (secp256k1_ecdh(Context(), out.data(), &point, key.bytes().data(), CopyX, nullptr) != 1) {
    return absl::InvalidArgumentError("secp256k1: ECDH with an invalid secret key");
  }
  return out;
}

absl::StatusOr<Bytes32> V2Ecdh(const SecretKey& key, const EllSwift& ours, const EllSwift& theirs,
                               bool initiating) {
  absl::StatusOr<Bytes32> x = EllSwiftEcdhXOnly(theirs, key);
  if (!x.ok()) return x.status();
  constexpr std::string_view kTag = "bip324_ellswift_xonly_ecdh";
  hash::Digest tag = hash::Sha256(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kTag.data()), kTag.size()));
  std::vector<uint8_t> data;
  data.reserve(32 + 32 + 64 + 64 + 32);
  data.insert(data.end(), tag.begin(), tag.end());
  data.insert(data.end(), tag.begin(), tag.end());
  const EllSwift& first = initiating ? ours : theirs;
  const EllSwift& second = initiating ? theirs : ours;
  data.insert(data.end(), first.begin(), first.end());
  data.insert(data.end(), second.begin(), second.end());
  data.insert(data.end(), x->begin(), x->end());
  Bytes32 out = hash::Sha256(data);
  OPENSSL_cleanse(data.data(), data.size());
  OPENSSL_cleanse(x->data(), x->size());
  return out;
}

absl::StatusOr<Signature> SchnorrSign(const SecretKey& key, std::span<const uint8_t> message,
                                      const Bytes32& aux_rand) {
  absl::StatusOr<secp256k1_keypair> keypair = Keypair(key);
  if (!keypair.ok()) return keypair.status();
  Bytes32 aux = aux_rand;
  secp256k1_schnorrsig_extraparams params = SECP256K1_SCHNORRSIG_EXTRAPARAMS_INIT;
  params.ndata = aux.data();
  Signature sig;
  int ok = secp256k1_schnorrsig_sign_custom(Context(), sig.data(), message.data(), message.size(),
                                            &*keypair, &params);
  OPENSSL_cleanse(&*keypair, sizeof(secp256k1_keypair));
  if (ok != 1) return absl::InternalError("secp256k1: Schnorr signing failed");
  return sig;
}

bool SchnorrVerify(const XOnly& public_key, std::span<const uint8_t> message,
                   const Signature& sig) {
  secp256k1_xonly_pubkey pub;
  if (secp256k1_xonly_pubkey_parse(Context(), &pub, public_key.data()) != 1) return false;
  return secp256k1_schnorrsig_verify(Context(), sig.data(), message.data(), message.size(), &pub) ==
         1;
}

}  // namespace synth::sv2
