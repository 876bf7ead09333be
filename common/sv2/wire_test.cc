#include "common/sv2/wire.h"

#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

TEST(WireTest, IntegersAreLittleEndian) {
  WireWriter w;
  w.U8(0x01);
  w.U16(0x0302);
  w.U24(0x060504);
  w.U32(0x0a090807);
  w.U64(0x1211100f0e0d0c0bULL);
  w.Bool(true);
  w.F32(1.5f);
  std::vector<uint8_t> b = *std::move(w).Finish("t");
  std::vector<uint8_t> want = {1,  2,  3,  4,  5,  6,  7, 8,    9,    10,   11,  12,
                               13, 14, 15, 16, 17, 18, 1, 0x00, 0x00, 0xc0, 0x3f};
  EXPECT_EQ(b, want);
  WireReader r(b);
  EXPECT_EQ(r.U8(), 1);
  EXPECT_EQ(r.U16(), 0x0302);
  EXPECT_EQ(r.U24(), 0x060504u);
  EXPECT_EQ(r.U32(), 0x0a090807u);
  EXPECT_EQ(r.U64(), 0x1211100f0e0d0c0bULL);
  EXPECT_TRUE(r.Bool());
  EXPECT_EQ(r.F32(), 1.5f);
  EXPECT_TRUE(r.Finish("t").ok());
}

TEST(WireTest, VariableLengthTypes) {
  WireWriter w;
  w.Str("abc", "s");
  w.Bytes(std::vector<uint8_t>(300, 9), 0xffff, "b64k", 2);
  w.OptionU32(std::nullopt);
  w.OptionU32(7);
  U256 h{};
  h[0] = 1;
  w.SeqU256({h, h}, "seq");
  w.SeqU32({5, 6}, "ids");
  std::vector<uint8_t> b = *std::move(w).Finish("t");
  EXPECT_EQ(b[0], 3);
  EXPECT_EQ(b[4], 300 & 0xff);
  EXPECT_EQ(b[5], 300 >> 8);
  WireReader r(b);
  EXPECT_EQ(r.Str("s"), "abc");
  EXPECT_EQ(r.Bytes(0xffff, "b64k", 2).size(), 300u);
  EXPECT_EQ(r.OptionU32("o"), std::nullopt);
  EXPECT_EQ(r.OptionU32("o"), 7u);
  EXPECT_EQ(r.SeqU256("seq").size(), 2u);
  EXPECT_EQ(r.SeqU32("ids"), (std::vector<uint32_t>{5, 6}));
  EXPECT_TRUE(r.Finish("t").ok());
}

TEST(WireTest, ErrorsNameTheMessageAndField) {
  std::vector<uint8_t> b = {40, 1, 2};  // B0_32 claiming 40 bytes
  WireReader r(b);
  r.Bytes(32, "extranonce_prefix");
  absl::Status s = r.Finish("SetExtranoncePrefix");
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_NE(s.message().find("SetExtranoncePrefix: extranonce_prefix of 40 bytes"),
            std::string::npos);

  std::vector<uint8_t> short_str = {5, 'a'};
  WireReader r2(short_str);
  r2.Str("user_identity");
  EXPECT_NE(r2.Finish("m").message().find("truncated at user_identity"), std::string::npos);

  std::vector<uint8_t> trailing = {1, 2, 3};
  WireReader r3(trailing);
  r3.U16();
  EXPECT_NE(r3.Finish("m").message().find("1 unexpected trailing"), std::string::npos);

  std::vector<uint8_t> option = {2, 0, 0, 0, 0};
  WireReader r4(option);
  r4.OptionU32("min_ntime");
  EXPECT_FALSE(r4.Finish("m").ok());

  WireWriter w;
  w.Str(std::string(256, 'x'), "vendor");
  EXPECT_NE(std::move(w).Finish("SetupConnection").status().message().find("vendor"),
            std::string::npos);
}

}  // namespace
}  // namespace synth::sv2
