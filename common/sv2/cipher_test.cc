#include "common/sv2/cipher.h"

#include <string_view>

#include "common/bitcoin/hex.h"
#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

std::span<const uint8_t> Span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Key32 Key(uint8_t first) {
  Key32 k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return k;
}

TEST(CipherTest, HmacSha256Rfc4231Case1) {
  std::vector<uint8_t> key(20, 0x0b);
  EXPECT_EQ(bitcoin::BytesToHex(HmacSha256(key, Span("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

// Expected outputs are RFC 5869 HKDF-SHA256 (salt = chaining key, empty info, 64 bytes), from
// an independent implementation.
TEST(CipherTest, Hkdf2IsRfc5869WithEmptyInfo) {
  std::vector<uint8_t> ikm;
  for (int i = 100; i < 133; ++i) ikm.push_back(static_cast<uint8_t>(i));
  auto [a, b] = Hkdf2(Key(0), ikm);
  EXPECT_EQ(bitcoin::BytesToHex(a),
            "bf765cb4125822c9e52e3b79a12378c75ca8ac6a5a78c37a3ca532096255151f");
  EXPECT_EQ(bitcoin::BytesToHex(b),
            "df2302485ad9f1e95cc95eedc48f913bae3541da3e22d9ebdcae1550a500df7c");
  auto [c, d] = Hkdf2(Key(0), {});
  EXPECT_EQ(bitcoin::BytesToHex(c),
            "1d7e0d6f1d9da2d68dabed53b5f88345f3fd01cb75411fbe5aa4293bd8f430d6");
  EXPECT_EQ(bitcoin::BytesToHex(d),
            "3ed9b8035bbf370b8cfef7ff15007de45488e18660c84e3d996e8e6c658fa7f8");
}

// ChaCha20-Poly1305 (RFC 8439) with Noise's nonce 00000000 ‖ LE64(7): the RFC 2.8.2 key, AAD and
// the first 40 plaintext bytes; the expected bytes come from an independent implementation.
TEST(CipherTest, NoiseNonceLayout) {
  CipherState c;
  c.InitializeKey(Key(0x80));
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(c.EncryptWithAd({}, Span("x")).ok());
  EXPECT_EQ(c.nonce(), 7u);
  std::vector<uint8_t> ad = *bitcoin::HexToBytes("50515253c0c1c2c3c4c5c6c7", "ad");
  absl::StatusOr<std::vector<uint8_t>> ct =
      c.EncryptWithAd(ad, Span("Ladies and Gentlemen of the class of '99"));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(bitcoin::BytesToHex(*ct),
            "bc811b8aaf3149c465dea2b403ef799a82c1207d17c53a822336444a3d34ef302150dc9debc5d329"
            "93cba55145a1a01bfec54a0e35486569");
}

TEST(CipherTest, RoundTripTamperAndNonceDiscipline) {
  CipherState send, recv;
  send.InitializeKey(Key(1));
  recv.InitializeKey(Key(1));
  absl::StatusOr<std::vector<uint8_t>> ct = send.EncryptWithAd(Span("ad"), Span("hello"));
  ASSERT_TRUE(ct.ok());
  EXPECT_EQ(ct->size(), 5 + kMacSize);
  std::vector<uint8_t> bad = *ct;
  bad[2] ^= 1;
  EXPECT_TRUE(absl::IsDataLoss(recv.DecryptWithAd(Span("ad"), bad).status()));
  EXPECT_EQ(recv.nonce(), 0u);  // A failed decryption does not advance n.
  EXPECT_TRUE(absl::IsDataLoss(recv.DecryptWithAd(Span("xx"), *ct).status()));  // other AD
  EXPECT_TRUE(absl::IsDataLoss(recv.DecryptWithAd({}, Span("short")).status()));
  absl::StatusOr<std::vector<uint8_t>> pt = recv.DecryptWithAd(Span("ad"), *ct);
  ASSERT_TRUE(pt.ok());
  EXPECT_EQ(std::string(pt->begin(), pt->end()), "hello");
  EXPECT_EQ(recv.nonce(), 1u);
  // Replaying the same message fails: the receiver moved to n = 1.
  EXPECT_FALSE(recv.DecryptWithAd(Span("ad"), *ct).ok());
}

TEST(CipherTest, WithoutKeyPassesThrough) {
  CipherState c;
  EXPECT_FALSE(c.HasKey());
  EXPECT_EQ(*c.EncryptWithAd({}, Span("abc")), std::vector<uint8_t>({'a', 'b', 'c'}));
  EXPECT_EQ(c.nonce(), 0u);
  CipherState moved = std::move(c);
  EXPECT_FALSE(moved.HasKey());
}

}  // namespace
}  // namespace synth::sv2
