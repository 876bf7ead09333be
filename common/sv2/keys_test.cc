#include "common/sv2/keys.h"

#include "absl/strings/ascii.h"
#include "common/bitcoin/hex.h"
#include "common/sv2/test_vectors.h"
#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

using testing::ReadVectors;

template <size_t N>
std::array<uint8_t, N> Arr(const std::string& hex) {
  auto b = bitcoin::HexToArray<N>(absl::AsciiStrToLower(hex), "vector");
  EXPECT_TRUE(b.ok()) << hex;
  return b.value_or(std::array<uint8_t, N>{});
}

std::vector<uint8_t> Vec(const std::string& hex) {
  auto b = bitcoin::HexToBytes(absl::AsciiStrToLower(hex), "vector");
  EXPECT_TRUE(b.ok()) << hex;
  return b.value_or(std::vector<uint8_t>{});
}

std::string Upper(std::span<const uint8_t> b) {
  return absl::AsciiStrToUpper(bitcoin::BytesToHex(b));
}

TEST(KeysTest, Bip340Vectors) {
  std::vector<testing::Row> rows = ReadVectors("bip-0340_test-vectors.csv");
  ASSERT_EQ(rows.size(), 19u);
  int signed_count = 0;
  for (const testing::Row& row : rows) {
    SCOPED_TRACE("BIP 340 vector " + row.at("index"));
    std::vector<uint8_t> msg = Vec(row.at("message"));
    XOnly pub = Arr<32>(row.at("public key"));
    Signature sig = Arr<64>(row.at("signature"));
    if (!row.at("secret key").empty()) {
      SecretKey sk(Arr<32>(row.at("secret key")));
      absl::StatusOr<XOnly> derived = XOnlyPublicKey(sk);
      ASSERT_TRUE(derived.ok());
      EXPECT_EQ(Upper(*derived), row.at("public key"));
      absl::StatusOr<Signature> made = SchnorrSign(sk, msg, Arr<32>(row.at("aux_rand")));
      ASSERT_TRUE(made.ok());
      EXPECT_EQ(Upper(*made), row.at("signature"));
      ++signed_count;
    }
    EXPECT_EQ(SchnorrVerify(pub, msg, sig), row.at("verification result") == "TRUE");
  }
  EXPECT_GE(signed_count, 5);
}

TEST(KeysTest, Bip324EcdhVectors) {
  std::vector<testing::Row> rows = ReadVectors("bip-0324_packet_encoding_test_vectors.csv");
  ASSERT_GE(rows.size(), 7u);
  for (const testing::Row& row : rows) {
    SCOPED_TRACE("BIP 324 packet vector " + row.at("in_idx"));
    SecretKey sk(Arr<32>(row.at("in_priv_ours")));
    EllSwift ours = Arr<64>(row.at("in_ellswift_ours"));
    EllSwift theirs = Arr<64>(row.at("in_ellswift_theirs"));
    bool initiating = row.at("in_initiating") == "1";
    absl::StatusOr<XOnly> x_ours = XOnlyPublicKey(sk);
    ASSERT_TRUE(x_ours.ok());
    EXPECT_EQ(bitcoin::BytesToHex(*x_ours), row.at("mid_x_ours"));
    EXPECT_EQ(bitcoin::BytesToHex(EllSwiftDecode(ours)), row.at("mid_x_ours"));
    EXPECT_EQ(bitcoin::BytesToHex(EllSwiftDecode(theirs)), row.at("mid_x_theirs"));
    absl::StatusOr<Bytes32> shared_x = EllSwiftEcdhXOnly(theirs, sk);
    ASSERT_TRUE(shared_x.ok());
    EXPECT_EQ(bitcoin::BytesToHex(*shared_x), row.at("mid_x_shared"));
    absl::StatusOr<Bytes32> secret = V2Ecdh(sk, ours, theirs, initiating);
    ASSERT_TRUE(secret.ok());
    EXPECT_EQ(bitcoin::BytesToHex(*secret), row.at("mid_shared_secret"));
  }
}

TEST(KeysTest, GeneratedKeysAgreeOnTheSecret) {
  RandomFn random = SystemRandom();
  absl::StatusOr<SecretKey> a = GenerateSecretKey(random);
  absl::StatusOr<SecretKey> b = GenerateSecretKey(random);
  ASSERT_TRUE(a.ok() && b.ok());
  absl::StatusOr<EllSwift> pa = EllSwiftPublicKey(*a, random);
  absl::StatusOr<EllSwift> pb = EllSwiftPublicKey(*b, random);
  ASSERT_TRUE(pa.ok() && pb.ok());
  absl::StatusOr<Bytes32> sa = V2Ecdh(*a, *pa, *pb, /*initiating=*/true);
  absl::StatusOr<Bytes32> sb = V2Ecdh(*b, *pb, *pa, /*initiating=*/false);
  ASSERT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(*sa, *sb);
  // The roles matter: both claiming to initiate gives different secrets.
  absl::StatusOr<Bytes32> wrong = V2Ecdh(*b, *pb, *pa, /*initiating=*/true);
  EXPECT_NE(*sa, *wrong);
}

TEST(KeysTest, InvalidSecretKeys) {
  EXPECT_FALSE(CheckSecretKey(SecretKey(Bytes32{})).ok());
  Bytes32 n = Arr<32>("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141");
  EXPECT_FALSE(CheckSecretKey(SecretKey(n)).ok());
  EXPECT_FALSE(XOnlyPublicKey(SecretKey(n)).ok());
  RandomFn zeros = [](std::span<uint8_t> out) {
    std::fill(out.begin(), out.end(), 0);
    return absl::OkStatus();
  };
  EXPECT_TRUE(absl::IsInternal(GenerateSecretKey(zeros).status()));
}

}  // namespace
}  // namespace synth::sv2
