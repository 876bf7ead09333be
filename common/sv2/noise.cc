#include "common/sv2/noise.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/hash/sha256.h"
#include "common/sv2/authority_key.h"

namespace synth::sv2 {
namespace {

void PutLe(std::vector<uint8_t>* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

uint64_t GetLe(std::span<const uint8_t> in, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}

std::string UnixTime(uint32_t t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(t), absl::UTCTimeZone());
}

template <size_t N>
std::span<const uint8_t, N> Fixed(std::span<const uint8_t> s) {
  return std::span<const uint8_t, N>(s.data(), N);
}

}  // namespace

std::array<uint8_t, kCertificateSize> Certificate::Encode() const {
  std::vector<uint8_t> out;
  PutLe(&out, version, 2);
  PutLe(&out, valid_from, 4);
  PutLe(&out, not_valid_after, 4);
  out.insert(out.end(), signature.begin(), signature.end());
  std::array<uint8_t, kCertificateSize> fixed;
  std::copy(out.begin(), out.end(), fixed.begin());
  return fixed;
}

Certificate Certificate::Decode(std::span<const uint8_t, kCertificateSize> bytes) {
  Certificate c;
  c.version = static_cast<uint16_t>(GetLe(bytes.subspan(0, 2), 2));
  c.valid_from = static_cast<uint32_t>(GetLe(bytes.subspan(2, 4), 4));
  c.not_valid_after = static_cast<uint32_t>(GetLe(bytes.subspan(6, 4), 4));
  std::copy(bytes.begin() + 10, bytes.end(), c.signature.begin());
  return c;
}

Bytes32 CertificateDigest(const Certificate& cert, const XOnly& server_key) {
  std::vector<uint8_t> m;
  PutLe(&m, cert.version, 2);
  PutLe(&m, cert.valid_from, 4);
  PutLe(&m, cert.not_valid_after, 4);
  m.insert(m.end(), server_key.begin(), server_key.end());
  return hash::Sha256(m);
}

absl::StatusOr<Certificate> SignCertificate(const SecretKey& authority, const XOnly& server_key,
                                            uint32_t valid_from, uint32_t not_valid_after,
                                            const RandomFn& random) {
  Certificate cert;
  cert.valid_from = valid_from;
  cert.not_valid_after = not_valid_after;
  Bytes32 aux;
  if (absl::Status s = random(aux); !s.ok()) return s;
  Bytes32 digest = CertificateDigest(cert, server_key);
  absl::StatusOr<Signature> sig = SchnorrSign(authority, digest, aux);
  if (!sig.ok()) return sig.status();
  cert.signature = *sig;
  return cert;
}

absl::Status VerifyCertificate(const Certificate& cert, const XOnly& server_key,
                               const XOnly& authority, absl::Time now) {
  if (cert.version != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("SV2 certificate: unknown version ", cert.version));
  }
  if (!SchnorrVerify(authority, CertificateDigest(cert, server_key), cert.signature)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "SV2 certificate: not signed by the pool's authority key ", FormatAuthorityKey(authority),
        " (another authority, or the server is not who the URL names)"));
  }
  int64_t t = absl::ToUnixSeconds(now);
  if (t < cert.valid_from) {
    return absl::PermissionDeniedError(absl::StrCat("SV2 certificate: not valid before ",
                                                    UnixTime(cert.valid_from), " (clock skew?)"));
  }
  if (t > cert.not_valid_after) {
    return absl::PermissionDeniedError(
        absl::StrCat("SV2 certificate: expired at ", UnixTime(cert.not_valid_after)));
  }
  return absl::OkStatus();
}

// ---- SymmetricState ----

SymmetricState::SymmetricState() {
  h_ = hash::Sha256(std::span<const uint8_t>(
      reinterpret_cast<const uint8_t*>(kNoiseProtocolName.data()), kNoiseProtocolName.size()));
  ck_ = h_;
  MixHash({});  // The empty prologue.
}

void SymmetricState::MixHash(std::span<const uint8_t> data) {
  std::vector<uint8_t> buf(h_.begin(), h_.end());
  buf.insert(buf.end(), data.begin(), data.end());
  h_ = hash::Sha256(buf);
}

void SymmetricState::MixKey(std::span<const uint8_t> input_key_material) {
  auto [ck, temp_k] = Hkdf2(ck_, input_key_material);
  ck_ = ck;
  k_.InitializeKey(temp_k);
}

absl::StatusOr<std::vector<uint8_t>> SymmetricState::EncryptAndHash(
    std::span<const uint8_t> plaintext) {
  absl::StatusOr<std::vector<uint8_t>> ct = k_.EncryptWithAd(h_, plaintext);
  if (ct.ok()) MixHash(*ct);
  return ct;
}

absl::StatusOr<std::vector<uint8_t>> SymmetricState::DecryptAndHash(
    std::span<const uint8_t> ciphertext) {
  absl::StatusOr<std::vector<uint8_t>> pt = k_.DecryptWithAd(h_, ciphertext);
  if (pt.ok()) MixHash(ciphertext);
  return pt;
}

std::pair<CipherState, CipherState> SymmetricState::Split() {
  auto [k1, k2] = Hkdf2(ck_, {});
  std::pair<CipherState, CipherState> out;
  out.first.InitializeKey(k1);
  out.second.InitializeKey(k2);
  return out;
}

// ---- NoiseInitiator ----

NoiseInitiator::NoiseInitiator(XOnly authority_key, RandomFn random)
    : authority_key_(authority_key), random_(std::move(random)) {}

absl::StatusOr<EllSwift> NoiseInitiator::WriteAct1() {
  if (wrote_act1_) return absl::FailedPreconditionError("Noise: act 1 already written");
  absl::StatusOr<SecretKey> e = GenerateSecretKey(random_);
  if (!e.ok()) return e.status();
  ephemeral_ = *e;
  absl::StatusOr<EllSwift> pub = EllSwiftPublicKey(ephemeral_, random_);
  if (!pub.ok()) return pub.status();
  ephemeral_public_ = *pub;
  state_.MixHash(ephemeral_public_);
  if (absl::StatusOr<std::vector<uint8_t>> empty = state_.EncryptAndHash({}); !empty.ok()) {
    return empty.status();
  }
  wrote_act1_ = true;
  return ephemeral_public_;
}

absl::StatusOr<TransportCiphers> NoiseInitiator::ReadAct2(std::span<const uint8_t> message,
                                                          absl::Time now) {
  if (!wrote_act1_) return absl::FailedPreconditionError("Noise: act 2 before act 1");
  if (message.size() != kAct2Size) {
    return absl::InvalidArgumentError(
        absl::StrCat("Noise: act 2 is ", message.size(), " bytes, expected ", kAct2Size));
  }
  EllSwift re;
  std::copy(message.begin(), message.begin() + 64, re.begin());
  state_.MixHash(re);
  absl::StatusOr<Bytes32> ee = V2Ecdh(ephemeral_, ephemeral_public_, re, /*initiating=*/true);
  if (!ee.ok()) return ee.status();
  state_.MixKey(*ee);
  absl::StatusOr<std::vector<uint8_t>> rs = state_.DecryptAndHash(message.subspan(64, 80));
  if (!rs.ok()) return rs.status();
  EllSwift rs_enc;
  std::copy(rs->begin(), rs->end(), rs_enc.begin());
  absl::StatusOr<Bytes32> es = V2Ecdh(ephemeral_, ephemeral_public_, rs_enc, true);
  if (!es.ok()) return es.status();
  state_.MixKey(*es);
  absl::StatusOr<std::vector<uint8_t>> cert = state_.DecryptAndHash(message.subspan(144, 90));
  if (!cert.ok()) return cert.status();
  server_key_ = EllSwiftDecode(rs_enc);
  certificate_ = Certificate::Decode(Fixed<kCertificateSize>(*cert));
  if (absl::Status s = VerifyCertificate(certificate_, server_key_, authority_key_, now); !s.ok()) {
    return s;
  }
  auto [to_responder, to_initiator] = state_.Split();
  return TransportCiphers{std::move(to_responder), std::move(to_initiator)};
}

// ---- NoiseResponder ----

NoiseResponder::NoiseResponder(ResponderCredentials credentials, RandomFn random)
    : credentials_(std::move(credentials)), random_(std::move(random)) {}

absl::StatusOr<NoiseResponder::Reply> NoiseResponder::Respond(std::span<const uint8_t> act1) {
  if (act1.size() != kAct1Size) {
    return absl::InvalidArgumentError(
        absl::StrCat("Noise: act 1 is ", act1.size(), " bytes, expected ", kAct1Size));
  }
  EllSwift re;
  std::copy(act1.begin(), act1.end(), re.begin());
  state_.MixHash(re);
  if (absl::StatusOr<std::vector<uint8_t>> empty = state_.DecryptAndHash({}); !empty.ok()) {
    return empty.status();
  }
  absl::StatusOr<SecretKey> e = GenerateSecretKey(random_);
  if (!e.ok()) return e.status();
  absl::StatusOr<EllSwift> e_pub = EllSwiftPublicKey(*e, random_);
  absl::StatusOr<EllSwift> s_pub = EllSwiftPublicKey(credentials_.static_key, random_);
  if (!e_pub.ok()) return e_pub.status();
  if (!s_pub.ok()) return s_pub.status();
  Reply reply;
  std::copy(e_pub->begin(), e_pub->end(), reply.act2.begin());
  state_.MixHash(*e_pub);
  absl::StatusOr<Bytes32> ee = V2Ecdh(*e, *e_pub, re, /*initiating=*/false);
  if (!ee.ok()) return ee.status();
  state_.MixKey(*ee);
  absl::StatusOr<std::vector<uint8_t>> s_ct = state_.EncryptAndHash(*s_pub);
  if (!s_ct.ok()) return s_ct.status();
  std::copy(s_ct->begin(), s_ct->end(), reply.act2.begin() + 64);
  absl::StatusOr<Bytes32> es = V2Ecdh(credentials_.static_key, *s_pub, re, false);
  if (!es.ok()) return es.status();
  state_.MixKey(*es);
  absl::StatusOr<std::vector<uint8_t>> cert_ct =
      state_.EncryptAndHash(credentials_.certificate.Encode());
  if (!cert_ct.ok()) return cert_ct.status();
  std::copy(cert_ct->begin(), cert_ct->end(), reply.act2.begin() + 144);
  auto [to_responder, to_initiator] = state_.Split();
  reply.ciphers = TransportCiphers{std::move(to_initiator), std::move(to_responder)};
  return reply;
}

}  // namespace synth::sv2
