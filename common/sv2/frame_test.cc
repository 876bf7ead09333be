#include "common/sv2/frame.h"

#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

Key32 TestKey() {
  Key32 k;
  k.fill(3);
  return k;
}

struct Pipe {
  Pipe() {
    send.InitializeKey(TestKey());
    recv.InitializeKey(TestKey());
  }
  CipherState send;
  CipherState recv;
};

Frame MakeFrame(size_t payload, uint8_t type = 0x1f) {
  Frame f{kChannelMsgBit, type, std::vector<uint8_t>(payload)};
  for (size_t i = 0; i < payload; ++i) f.payload[i] = static_cast<uint8_t>(i * 7);
  return f;
}

TEST(FrameTest, HeaderLayout) {
  auto h = EncodeFrameHeader({0x8001, 0x1b, 0x030201});
  EXPECT_EQ(h, (std::array<uint8_t, 6>{0x01, 0x80, 0x1b, 0x01, 0x02, 0x03}));
  FrameHeader back = DecodeFrameHeader(h);
  EXPECT_EQ(back.extension_type, 0x8001);
  EXPECT_EQ(back.msg_type, 0x1b);
  EXPECT_EQ(back.length, 0x030201u);
  Frame f{0x8001, 0x1b, {}};
  EXPECT_TRUE(f.channel_msg());
  EXPECT_EQ(f.extension(), 1);
}

TEST(FrameTest, CiphertextLengthFollowsTheSpecification) {
  EXPECT_EQ(CiphertextLength(0), 0u);
  EXPECT_EQ(CiphertextLength(1), 17u);
  EXPECT_EQ(CiphertextLength(65519), 65535u);
  EXPECT_EQ(CiphertextLength(65520), 65535u + 17u);
  EXPECT_EQ(CiphertextLength(2 * 65519), 2 * 65535u);
}

TEST(FrameTest, EncryptedRoundTripAcrossBlockBoundariesAndSplits) {
  Pipe p;
  std::vector<Frame> sent = {MakeFrame(0),     MakeFrame(1),      MakeFrame(65519),
                             MakeFrame(65520), MakeFrame(140000), MakeFrame(33, 0x00)};
  std::vector<uint8_t> wire;
  for (const Frame& f : sent) {
    absl::StatusOr<std::vector<uint8_t>> bytes = EncryptFrame(f, &p.send);
    ASSERT_TRUE(bytes.ok());
    EXPECT_EQ(bytes->size(), kEncryptedHeaderSize + CiphertextLength(f.payload.size()));
    wire.insert(wire.end(), bytes->begin(), bytes->end());
  }
  EncryptedFrameDecoder dec(&p.recv);
  std::vector<Frame> got;
  size_t pos = 0;
  for (size_t chunk = 1; pos < wire.size(); chunk = chunk * 3 + 5) {
    size_t n = std::min(chunk, wire.size() - pos);
    ASSERT_TRUE(dec.Feed(std::span<const uint8_t>(wire.data() + pos, n), &got).ok());
    pos += n;
  }
  EXPECT_EQ(got, sent);
  EXPECT_EQ(dec.buffered(), 0u);
}

TEST(FrameTest, TamperedAndTruncatedStreams) {
  Pipe p;
  std::vector<uint8_t> wire = *EncryptFrame(MakeFrame(100), &p.send);
  std::vector<uint8_t> tampered = wire;
  tampered[30] ^= 1;  // Inside the payload block.
  EncryptedFrameDecoder dec(&p.recv);
  std::vector<Frame> got;
  absl::Status s = dec.Feed(tampered, &got);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_TRUE(got.empty());
  EXPECT_FALSE(dec.Feed(wire, &got).ok());  // Dead after an error.

  Pipe q;
  wire = *EncryptFrame(MakeFrame(100), &q.send);
  EncryptedFrameDecoder dec2(&q.recv);
  ASSERT_TRUE(dec2.Feed(std::span<const uint8_t>(wire.data(), wire.size() - 1), &got).ok());
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(dec2.buffered(), wire.size() - 1 - kEncryptedHeaderSize);  // Waits for the rest.
}

TEST(FrameTest, OversizeFramesAreRefusedBeforeBuffering) {
  Pipe p;
  EXPECT_TRUE(
      absl::IsInvalidArgument(EncryptFrame(MakeFrame(kMaxFramePayload + 1), &p.send).status()));
  // A header announcing 16 MiB: refused as soon as the 22 header bytes are in.
  auto header = EncodeFrameHeader({0, 0x1f, 0xffffff});
  std::vector<uint8_t> wire = *p.send.EncryptWithAd({}, header);
  EncryptedFrameDecoder dec(&p.recv);
  std::vector<Frame> got;
  absl::Status s = dec.Feed(wire, &got);
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_NE(s.message().find("16777215"), std::string::npos);
}

TEST(FrameTest, PlainFrames) {
  std::vector<uint8_t> wire = *EncodePlainFrame(MakeFrame(10));
  std::vector<uint8_t> more = *EncodePlainFrame(MakeFrame(0, 0x21));
  wire.insert(wire.end(), more.begin(), more.end());
  PlainFrameDecoder dec;
  std::vector<Frame> got;
  ASSERT_TRUE(dec.Feed(std::span<const uint8_t>(wire.data(), 9), &got).ok());
  EXPECT_TRUE(got.empty());
  ASSERT_TRUE(dec.Feed(std::span<const uint8_t>(wire.data() + 9, wire.size() - 9), &got).ok());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], MakeFrame(10));
  EXPECT_EQ(got[1].msg_type, 0x21);
  auto huge = EncodeFrameHeader({0, 0, 0xffffff});
  EXPECT_FALSE(PlainFrameDecoder().Feed(huge, &got).ok());
}

}  // namespace
}  // namespace synth::sv2
