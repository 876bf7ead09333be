#include "common/sv2/secure_channel.h"

#include <random>

#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

RandomFn Seeded(uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*rng)());
    return absl::OkStatus();
  };
}

class SecureChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RandomFn r = Seeded(3);
    SecretKey authority = *GenerateSecretKey(r);
    authority_ = *XOnlyPublicKey(authority);
    ResponderCredentials creds;
    creds.static_key = *GenerateSecretKey(r);
    uint32_t now = static_cast<uint32_t>(absl::ToUnixSeconds(kNow));
    creds.certificate =
        *SignCertificate(authority, *XOnlyPublicKey(creds.static_key), now - 10, now + 10, r);
    client_ = SecureChannel::Initiator(authority_, Seeded(4));
    server_ = SecureChannel::Responder(creds, Seeded(5));
  }

  // Runs the handshake, delivering bytes in pieces of `chunk`.
  void Connect(size_t chunk) {
    std::vector<uint8_t> act1 = *client_->Start();
    std::vector<uint8_t> act2;
    std::vector<Frame> frames;
    for (size_t i = 0; i < act1.size(); i += chunk) {
      size_t n = std::min(chunk, act1.size() - i);
      ASSERT_TRUE(server_->Feed(std::span(act1).subspan(i, n), kNow, &frames, &act2).ok());
    }
    ASSERT_EQ(act2.size(), kAct2Size);
    ASSERT_TRUE(server_->established());
    for (size_t i = 0; i < act2.size(); i += chunk) {
      size_t n = std::min(chunk, act2.size() - i);
      std::vector<uint8_t> none;
      ASSERT_TRUE(client_->Feed(std::span(act2).subspan(i, n), kNow, &frames, &none).ok());
      EXPECT_TRUE(none.empty());
    }
    ASSERT_TRUE(client_->established());
    EXPECT_TRUE(frames.empty());
  }

  XOnly authority_;
  std::unique_ptr<SecureChannel> client_;
  std::unique_ptr<SecureChannel> server_;
};

TEST_F(SecureChannelTest, FramesFlowBothWays) {
  Connect(7);
  Frame up{0, 0x00, {1, 2, 3}};
  Frame down{kChannelMsgBit, 0x21, std::vector<uint8_t>(36, 4)};
  std::vector<uint8_t> wire = *client_->Seal(up);
  std::vector<uint8_t> wire2 = *client_->Seal(up);
  wire.insert(wire.end(), wire2.begin(), wire2.end());
  std::vector<Frame> got;
  std::vector<uint8_t> none;
  ASSERT_TRUE(server_->Feed(wire, kNow, &got, &none).ok());
  EXPECT_EQ(got, (std::vector<Frame>{up, up}));
  got.clear();
  ASSERT_TRUE(client_->Feed(*server_->Seal(down), kNow, &got, &none).ok());
  EXPECT_EQ(got, (std::vector<Frame>{down}));
  EXPECT_EQ(client_->certificate().version, 0);
}

TEST_F(SecureChannelTest, HandshakeAndFrameInOneRead) {
  std::vector<uint8_t> act1 = *client_->Start();
  std::vector<uint8_t> act2;
  std::vector<Frame> frames;
  ASSERT_TRUE(server_->Feed(act1, kNow, &frames, &act2).ok());
  Frame hello{kChannelMsgBit, 0x21, {9}};
  std::vector<uint8_t> both = act2;
  std::vector<uint8_t> sealed = *server_->Seal(hello);
  both.insert(both.end(), sealed.begin(), sealed.end());
  std::vector<uint8_t> none;
  ASSERT_TRUE(client_->Feed(both, kNow, &frames, &none).ok());
  EXPECT_EQ(frames, (std::vector<Frame>{hello}));
}

TEST_F(SecureChannelTest, TamperedFrameKillsTheChannel) {
  Connect(1000);
  std::vector<uint8_t> wire = *client_->Seal(Frame{0, 0x00, {1, 2, 3}});
  wire.back() ^= 0x80;
  std::vector<Frame> got;
  std::vector<uint8_t> none;
  absl::Status s = server_->Feed(wire, kNow, &got, &none);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_EQ(server_->Feed({}, kNow, &got, &none), s);
  EXPECT_FALSE(server_->Seal(Frame{}).ok());
}

TEST_F(SecureChannelTest, TruncatedStreamIsBuffered) {
  Connect(64);
  std::vector<uint8_t> wire = *client_->Seal(Frame{0, 0x00, std::vector<uint8_t>(50)});
  std::vector<Frame> got;
  std::vector<uint8_t> none;
  ASSERT_TRUE(server_->Feed(std::span(wire).first(wire.size() - 3), kNow, &got, &none).ok());
  EXPECT_TRUE(got.empty());
  EXPECT_GT(server_->buffered(), 0u);  // The transport reports this as a truncated frame.
}

TEST_F(SecureChannelTest, RolesAndOrder) {
  EXPECT_TRUE(absl::IsFailedPrecondition(server_->Start().status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(client_->Seal(Frame{}).status()));
  std::vector<Frame> got;
  std::vector<uint8_t> out;
  // Garbage instead of act 2 after a real act 1: a MAC failure, the channel is dead.
  ASSERT_TRUE(client_->Start().ok());
  EXPECT_TRUE(
      absl::IsDataLoss(client_->Feed(std::vector<uint8_t>(kAct2Size, 1), kNow, &got, &out)));
  EXPECT_FALSE(client_->established());
}

}  // namespace
}  // namespace synth::sv2
