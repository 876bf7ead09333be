#include "common/sv2/messages.h"

#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

U256 Filled(uint8_t v) {
  U256 u;
  u.fill(v);
  return u;
}

// One of every message, with every field away from its default.
std::vector<Message> Samples() {
  return {
      SetupConnection{0, 2, 2, kRequiresVersionRolling, "pool.example", 3336, "synth", "master",
                      "synth/0.1", "rig-1"},
      SetupConnectionSuccess{2, kRequiresFixedVersion},
      SetupConnectionError{4, "unsupported-feature-flags"},
      ChannelEndpointChanged{9},
      Reconnect{"eu.pool.example", 3337},
      OpenStandardMiningChannel{5, "alice", 1e12f, Filled(0xff)},
      OpenMiningChannelError{5, "unknown-user"},
      OpenExtendedMiningChannel{6, "alice.rig1", 2.5e12f, Filled(0xff), 4},
      OpenExtendedMiningChannelSuccess{6, 1, Filled(0x0f), 8, {1, 2, 3, 4}, 77},
      UpdateChannel{1, 3e12f, Filled(0x7f)},
      UpdateChannelError{1, "max-target-out-of-range"},
      CloseChannel{1, "shutdown"},
      SetExtranoncePrefix{1, {9, 8, 7}},
      SubmitSharesExtended{1, 42, 7, 0xdeadbeef, 1700000000, 0x20006000, {1, 2, 3, 4}},
      SubmitSharesSuccess{1, 42, 3, 3000},
      SubmitSharesError{1, 41, "stale-share"},
      NewExtendedMiningJob{
          1, 7, 1700000000, 0x20000000, true, {Filled(1), Filled(2)}, {1, 2}, {3, 4, 5}},
      NewExtendedMiningJob{1, 8, std::nullopt, 0x20000000, false, {}, {}, {}},
      SetNewPrevHash{1, 8, Filled(0xaa), 1700000001, 0x1703a30c},
      SetTarget{1, Filled(0x01)},
      SetGroupChannel{100, {1, 2, 3}},
  };
}

TEST(MessagesTest, EveryMessageRoundTrips) {
  for (const Message& m : Samples()) {
    SCOPED_TRACE(MessageName(m));
    absl::StatusOr<Frame> f = EncodeMessage(m);
    ASSERT_TRUE(f.ok()) << f.status();
    absl::StatusOr<Message> back = DecodeMessage(*f);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, m);
    // Every truncation of a message is an error, never a crash or a different message.
    for (size_t n = 0; n < f->payload.size(); ++n) {
      Frame cut = *f;
      cut.payload.resize(n);
      EXPECT_TRUE(absl::IsInvalidArgument(DecodeMessage(cut).status())) << n;
    }
  }
}

TEST(MessagesTest, TypesAndChannelBitsFromTheTable) {
  Frame f = *EncodeMessage(SetTarget{5, Filled(0)});
  EXPECT_EQ(f.msg_type, 0x21);
  EXPECT_EQ(f.extension_type, kChannelMsgBit);
  f = *EncodeMessage(SetupConnection{});
  EXPECT_EQ(f.msg_type, 0x00);
  EXPECT_EQ(f.extension_type, 0);
  EXPECT_EQ(MessageName(0x1f), "NewExtendedMiningJob");
  EXPECT_EQ(MessageName(0x1c), "SubmitShares.Success");
  EXPECT_EQ(MessageName(0x99), "unknown(0x99)");
}

TEST(MessagesTest, SubmitSharesExtendedBytes) {
  Frame f = *EncodeMessage(SubmitSharesExtended{1, 2, 3, 4, 5, 6, {0xaa, 0xbb}});
  std::vector<uint8_t> want = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,    4,   0,
                               0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 2, 0xaa, 0xbb};
  EXPECT_EQ(f.payload, want);
}

TEST(MessagesTest, UnknownAndMalformed) {
  Frame unknown{0, 0x15, {1, 2, 3}};  // NewMiningJob: standard channels are not handled
  EXPECT_TRUE(absl::IsUnimplemented(DecodeMessage(unknown).status()));
  Frame extension{0x8002, 0x21, std::vector<uint8_t>(36)};
  EXPECT_TRUE(absl::IsUnimplemented(DecodeMessage(extension).status()));
  Frame trailing = *EncodeMessage(SetTarget{5, Filled(0)});
  trailing.payload.push_back(0);
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeMessage(trailing).status()));
  Frame big_prefix = *EncodeMessage(SetExtranoncePrefix{1, {}});
  big_prefix.payload[4] = 33;  // B0_32 length
  big_prefix.payload.resize(4 + 1 + 33);
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeMessage(big_prefix).status()));
  // A field over its limit is refused when encoding.
  EXPECT_FALSE(EncodeMessage(SetExtranoncePrefix{1, std::vector<uint8_t>(33)}).ok());
}

}  // namespace
}  // namespace synth::sv2
