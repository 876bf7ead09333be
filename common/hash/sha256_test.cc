#include "common/hash/sha256.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace synth::hash {
namespace {

std::string Hex(const Digest& d) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += k[b >> 4];
    s += k[b & 15];
  }
  return s;
}

Digest Of(std::string_view s) {
  return Sha256(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

// FIPS 180-4 / NIST CAVS example vectors.
TEST(Sha256Test, NistVectors) {
  EXPECT_EQ(Hex(Of("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hex(Of("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Hex(Of(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, PaddingBoundaries) {
  // Lengths 55, 56 and 64 cross the one-/two-block padding boundary.
  EXPECT_EQ(Hex(Of(std::string(55, 'a'))),
            "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  EXPECT_EQ(Hex(Of(std::string(56, 'a'))),
            "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  EXPECT_EQ(Hex(Of(std::string(64, 'a'))),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TEST(Sha256Test, DoubleHashIsHashOfHash) {
  Digest once = Of("hello");
  EXPECT_EQ(Sha256d(std::span(reinterpret_cast<const uint8_t*>("hello"), 5)), Sha256(once));
  EXPECT_EQ(Hex(Sha256d(std::span(reinterpret_cast<const uint8_t*>("hello"), 5))),
            "9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50");
}

TEST(Sha256Test, CompressFromInitMatchesOneBlockMessage) {
  // A 64-byte block compressed from H(0) equals the state before padding of a 64-byte message.
  uint8_t block[64];
  for (int i = 0; i < 64; ++i) block[i] = static_cast<uint8_t>(i * 7 + 3);
  State s = kSha256Init;
  Sha256Compress(s, block);
  uint8_t pad[64] = {0x80};
  pad[62] = 0x02;  // 512 bits
  Sha256Compress(s, pad);
  EXPECT_EQ(StateToDigest(s), Sha256(std::span<const uint8_t>(block, 64)));
}

}  // namespace
}  // namespace synth::hash
