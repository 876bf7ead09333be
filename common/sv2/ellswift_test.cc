#include "common/sv2/ellswift.h"

#include <random>

#include "common/bitcoin/hex.h"
#include "common/sv2/test_vectors.h"
#include "gtest/gtest.h"

namespace synth::sv2 {
namespace {

using testing::ReadVectors;

std::array<uint8_t, 32> Bytes32(const std::string& hex) {
  auto b = bitcoin::HexToArray<32>(hex, "vector");
  EXPECT_TRUE(b.ok()) << hex;
  return b.value_or(std::array<uint8_t, 32>{});
}

// A deterministic RandomFn for tests.
RandomFn Seeded(uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](std::span<uint8_t> out) {
    for (uint8_t& b : out) b = static_cast<uint8_t>((*rng)());
    return absl::OkStatus();
  };
}

TEST(EllSwiftTest, DecodeVectors) {
  std::vector<testing::Row> rows = ReadVectors("bip-0324_ellswift_decode_test_vectors.csv");
  ASSERT_EQ(rows.size(), 76u);
  for (const testing::Row& row : rows) {
    auto enc = bitcoin::HexToArray<64>(row.at("ellswift"), "ellswift");
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(bitcoin::BytesToHex(EllSwiftDecode(*enc)), row.at("x")) << row.at("comment");
  }
}

TEST(EllSwiftTest, InverseVectorsEveryBranch) {
  std::vector<testing::Row> rows = ReadVectors("bip-0324_xswiftec_inv_test_vectors.csv");
  ASSERT_EQ(rows.size(), 32u);
  int solutions = 0;
  for (const testing::Row& row : rows) {
    Fe u = Fe::FromBytes(Bytes32(row.at("u")));
    Fe x = Fe::FromBytes(Bytes32(row.at("x")));
    for (int c = 0; c < 8; ++c) {
      const std::string& want = row.at("case" + std::to_string(c) + "_t");
      std::optional<Fe> t = XSwiftEcInv(x, u, c);
      if (want.empty()) {
        EXPECT_FALSE(t.has_value()) << "case " << c << " " << row.at("comment");
        continue;
      }
      ASSERT_TRUE(t.has_value()) << "case " << c << " " << row.at("comment");
      EXPECT_EQ(bitcoin::BytesToHex(t->ToBytes()), want) << "case " << c;
      EXPECT_EQ(XSwiftEc(u, *t), x) << "round trip, case " << c;
      ++solutions;
    }
  }
  EXPECT_GT(solutions, 50);
}

TEST(EllSwiftTest, EncodeRoundTripsWithFreshEncodings) {
  RandomFn random = Seeded(11);
  std::mt19937_64 rng(3);
  int encoded = 0;
  for (int i = 0; i < 40; ++i) {
    std::array<uint8_t, 32> xb;
    for (uint8_t& b : xb) b = static_cast<uint8_t>(rng());
    Fe x = Fe::FromBytes(xb);
    if (!IsValidX(x)) continue;
    absl::StatusOr<EllSwift> a = EllSwiftEncode(x.ToBytes(), random);
    absl::StatusOr<EllSwift> b = EllSwiftEncode(x.ToBytes(), random);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(*a, *b);  // Randomized: two encodings of one key differ.
    EXPECT_EQ(EllSwiftDecode(*a), x.ToBytes());
    EXPECT_EQ(EllSwiftDecode(*b), x.ToBytes());
    ++encoded;
  }
  EXPECT_GT(encoded, 10);
}

TEST(EllSwiftTest, EncodeRefusesPointsOffTheCurveAndBrokenRandomness) {
  EXPECT_TRUE(absl::IsInvalidArgument(EllSwiftEncode(Fe(5).ToBytes(), Seeded(1)).status()));
  std::array<uint8_t, 32> above_p;
  above_p.fill(0xff);
  EXPECT_TRUE(absl::IsInvalidArgument(EllSwiftEncode(above_p, Seeded(1)).status()));
  RandomFn failing = [](std::span<uint8_t>) { return absl::InternalError("no entropy"); };
  Fe g = Fe::FromBytes(Bytes32("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"));
  EXPECT_EQ(EllSwiftEncode(g.ToBytes(), failing).status().message(), "no entropy");
  RandomFn zeros = [](std::span<uint8_t> out) {
    std::fill(out.begin(), out.end(), 0);
    return absl::OkStatus();
  };
  EXPECT_TRUE(absl::IsInternal(EllSwiftEncode(g.ToBytes(), zeros).status()));  // u = 0 forever
}

}  // namespace
}  // namespace synth::sv2
