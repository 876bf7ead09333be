#include "common/sv2/noise.h"

#include <random>

#include "common/hash/sha256.h"
#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

constexpr int64_t kNow = 1'800'000'000;

RandomFn Seeded(uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*rng)());
    return absl::OkStatus();
  };
}

struct Pki {
  SecretKey authority;
  XOnly authority_key;
  ResponderCredentials server;
};

Pki MakePki(uint32_t valid_from = kNow - 60, uint32_t not_valid_after = kNow + 3600,
            uint64_t seed = 5) {
  RandomFn random = Seeded(seed);
  Pki p;
  p.authority = *GenerateSecretKey(random);
  p.authority_key = *XOnlyPublicKey(p.authority);
  p.server.static_key = *GenerateSecretKey(random);
  XOnly server_x = *XOnlyPublicKey(p.server.static_key);
  p.server.certificate =
      *SignCertificate(p.authority, server_x, valid_from, not_valid_after, random);
  return p;
}

// Runs both acts; returns the initiator's result and fills the responder's ciphers.
absl::StatusOr<TransportCiphers> Handshake(
    const Pki& pki, const XOnly& expected_authority, TransportCiphers* server_side,
    std::function<void(std::array<uint8_t, kAct2Size>&)> tamper = nullptr) {
  NoiseInitiator client(expected_authority, Seeded(1));
  NoiseResponder server(pki.server, Seeded(2));
  absl::StatusOr<EllSwift> act1 = client.WriteAct1();
  if (!act1.ok()) return act1.status();
  absl::StatusOr<NoiseResponder::Reply> reply = server.Respond(*act1);
  if (!reply.ok()) return reply.status();
  if (tamper) tamper(reply->act2);
  if (server_side) *server_side = std::move(reply->ciphers);
  return client.ReadAct2(reply->act2, absl::FromUnixSeconds(kNow));
}

TEST(NoiseTest, HandshakeGivesMatchingCipherPairs) {
  Pki pki = MakePki();
  TransportCiphers server;
  absl::StatusOr<TransportCiphers> client = Handshake(pki, pki.authority_key, &server);
  ASSERT_TRUE(client.ok()) << client.status();
  std::vector<uint8_t> msg = {1, 2, 3};
  absl::StatusOr<std::vector<uint8_t>> up = client->send.EncryptWithAd({}, msg);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(*server.recv.DecryptWithAd({}, *up), msg);
  absl::StatusOr<std::vector<uint8_t>> down = server.send.EncryptWithAd({}, msg);
  EXPECT_EQ(*client->recv.DecryptWithAd({}, *down), msg);
  EXPECT_NE(*up, *down);  // Two keys, one per direction.
}

TEST(NoiseTest, ActSizes) {
  EXPECT_EQ(kAct2Size, 234u);
  Pki pki = MakePki();
  NoiseInitiator client(pki.authority_key, Seeded(1));
  EXPECT_TRUE(absl::IsFailedPrecondition(
      client.ReadAct2(std::vector<uint8_t>(kAct2Size), absl::FromUnixSeconds(kNow)).status()));
  ASSERT_TRUE(client.WriteAct1().ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(client.WriteAct1().status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      client.ReadAct2(std::vector<uint8_t>(170), absl::FromUnixSeconds(kNow)).status()));
  NoiseResponder server(pki.server, Seeded(2));
  EXPECT_TRUE(absl::IsInvalidArgument(server.Respond(std::vector<uint8_t>(63)).status()));
}

TEST(NoiseTest, WrongAuthorityIsRefused) {
  Pki pki = MakePki();
  Pki other = MakePki(kNow - 60, kNow + 3600, /*seed=*/9);
  absl::StatusOr<TransportCiphers> c = Handshake(pki, other.authority_key, nullptr);
  EXPECT_TRUE(absl::IsPermissionDenied(c.status()));
  EXPECT_NE(c.status().message().find("not signed by the pool's authority key"), std::string::npos);
}

TEST(NoiseTest, CertificateWindow) {
  Pki expired = MakePki(kNow - 7200, kNow - 1);
  absl::StatusOr<TransportCiphers> c = Handshake(expired, expired.authority_key, nullptr);
  EXPECT_TRUE(absl::IsPermissionDenied(c.status()));
  EXPECT_NE(c.status().message().find("expired"), std::string::npos) << c.status();
  Pki future = MakePki(kNow + 100, kNow + 3600);
  c = Handshake(future, future.authority_key, nullptr);
  EXPECT_NE(c.status().message().find("not valid before"), std::string::npos) << c.status();
  Pki edge = MakePki(kNow, kNow);  // Both bounds inclusive.
  EXPECT_TRUE(Handshake(edge, edge.authority_key, nullptr).ok());
}

TEST(NoiseTest, TamperedAct2IsDataLossWhereverTheByteIs) {
  Pki pki = MakePki();
  for (size_t at : {size_t{0}, size_t{63}, size_t{64}, size_t{143}, size_t{144}, size_t{233}}) {
    absl::StatusOr<TransportCiphers> c =
        Handshake(pki, pki.authority_key, nullptr,
                  [at](std::array<uint8_t, kAct2Size>& a) { a[at] ^= 0x40; });
    EXPECT_TRUE(absl::IsDataLoss(c.status())) << "byte " << at << ": " << c.status();
  }
}

TEST(NoiseTest, CertificateLayout) {
  Certificate cert;
  cert.version = 0;
  cert.valid_from = 0x01020304;
  cert.not_valid_after = 0x0a0b0c0d;
  cert.signature.fill(7);
  std::array<uint8_t, kCertificateSize> bytes = cert.Encode();
  EXPECT_EQ(bytes[2], 0x04);  // LE
  EXPECT_EQ(bytes[6], 0x0d);
  Certificate back = Certificate::Decode(bytes);
  EXPECT_EQ(back.valid_from, cert.valid_from);
  EXPECT_EQ(back.not_valid_after, cert.not_valid_after);
  EXPECT_EQ(back.signature, cert.signature);
  XOnly key;
  key.fill(9);
  std::vector<uint8_t> m = {0, 0, 4, 3, 2, 1, 0x0d, 0x0c, 0x0b, 0x0a};
  m.insert(m.end(), key.begin(), key.end());
  EXPECT_EQ(CertificateDigest(cert, key), hash::Sha256(m));
}

}  // namespace
}  // namespace synth::sv2
