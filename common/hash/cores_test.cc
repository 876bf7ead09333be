// Every hash core against the scalar reference (sha256.h via HashNonce) and real block headers.
// Cores this CPU cannot run are skipped with the reason.
#include "common/hash/cores.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "common/bitcoin/uint256.h"
#include "common/hash/dispatch.h"
#include "common/hash/scan.h"
#include "gtest/gtest.h"

namespace synth::hash {
namespace {

ScanWork RandomWork(std::mt19937& rng, uint32_t target7) {
  uint8_t header[80];
  for (uint8_t& b : header) b = static_cast<uint8_t>(rng());
  Target256 target;
  for (uint32_t& w : target) w = rng();
  target[7] = target7;
  return MakeScanWork(header, target);
}

// The block target of compact `bits` (common/bitcoin's decoder; the tests' bits are valid).
Target256 TargetFromBits(uint32_t bits) { return bitcoin::TargetFromBits(bits)->words(); }

// Header from display-order (big-endian hex-order) hashes and the numeric fields.
std::vector<uint8_t> Header(uint32_t version, const uint8_t prev_display[32],
                            const uint8_t merkle_display[32], uint32_t ntime, uint32_t bits,
                            uint32_t nonce) {
  std::vector<uint8_t> h(80);
  const uint32_t words[4] = {version, ntime, bits, nonce};
  const int offsets[4] = {0, 68, 72, 76};
  for (int w = 0; w < 4; ++w) {
    for (int b = 0; b < 4; ++b) h[offsets[w] + b] = static_cast<uint8_t>(words[w] >> (8 * b));
  }
  for (int i = 0; i < 32; ++i) {
    h[4 + i] = prev_display[31 - i];
    h[36 + i] = merkle_display[31 - i];
  }
  return h;
}

class CoreTest : public ::testing::TestWithParam<const HashCore*> {
 protected:
  void SetUp() override {
    if (!GetParam()->Supported()) {
      GTEST_SKIP() << "this CPU/OS lacks the ISA of core " << GetParam()->Name();
    }
  }
  std::vector<uint32_t> Scan(const ScanWork& work, uint32_t start, uint64_t count) {
    std::vector<uint32_t> found;
    GetParam()->Scan(work, start, count, &found);
    return found;
  }
};

// 2^18 nonces over four random midstates; about one nonce in 256 is a share. The reference
// sets are computed once and shared by every core. (2^18, not more: the hybrid cores run at
// ~0.3 MH/s on Intel, where zmm/legacy-SSE switches are slow, and the suite runs under the
// sanitizers too.)
TEST_P(CoreTest, RandomMidstatesMatchReference) {
  constexpr uint64_t kPerWork = uint64_t{1} << 16;
  struct Case {
    ScanWork work;
    uint32_t start;
    std::vector<uint32_t> expected;
  };
  static const std::vector<Case>* cases = [] {
    std::mt19937 rng(20261124);
    auto* v = new std::vector<Case>;
    for (int i = 0; i < 4; ++i) {
      ScanWork work = RandomWork(rng, 0x00ffffff);
      uint32_t start = rng();
      if (i == 3) start = static_cast<uint32_t>((uint64_t{1} << 32) - kPerWork);  // ends at 2^32
      v->push_back({work, start, ReferenceScan(work, start, kPerWork)});
    }
    return v;
  }();
  size_t total = 0;
  for (const Case& c : *cases) {
    EXPECT_EQ(Scan(c.work, c.start, kPerWork), c.expected) << "start " << c.start;
    total += c.expected.size();
  }
  EXPECT_GT(total, 800u);  // The test means something only when shares occur.
}

TEST_P(CoreTest, RangesEndingAt2To32AndOddCounts) {
  std::mt19937 rng(7);
  ScanWork all = RandomWork(rng, 0xffffffff);
  all.target.fill(0xffffffff);  // Every nonce is a share: checks lane masking and wrap-around.
  for (uint64_t count : {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100}) {
    uint32_t start = static_cast<uint32_t>((uint64_t{1} << 32) - count);
    std::vector<uint32_t> got = Scan(all, start, count);
    ASSERT_EQ(got.size(), count);
    EXPECT_EQ(got.front(), start);
    EXPECT_EQ(got.back(), 0xffffffffu);
  }
  EXPECT_TRUE(Scan(all, 5, 0).empty());
  ScanWork some = RandomWork(rng, 0x0fffffff);
  for (uint64_t count : {1, 13, 29, 1001}) {
    uint32_t start = static_cast<uint32_t>((uint64_t{1} << 32) - count);
    EXPECT_EQ(Scan(some, start, count), ReferenceScan(some, start, count)) << count;
    EXPECT_EQ(Scan(some, 1000, count), ReferenceScan(some, 1000, count)) << count;
  }
}

// Targets easier than difficulty 1 (top word nonzero): many top-word candidates, and the full
// 256-bit compare decides.
TEST_P(CoreTest, TargetWithNonzeroTopWord) {
  std::mt19937 rng(99);
  ScanWork work = RandomWork(rng, 0x7fffffff);
  work.target[6] = 0;
  std::vector<uint32_t> expected = ReferenceScan(work, 4242, 4099);
  EXPECT_GT(expected.size(), 1500u);
  EXPECT_EQ(Scan(work, 4242, 4099), expected);
}

// A target equal to one nonce's hash finds it; one less does not.
TEST_P(CoreTest, TargetBoundaryIsInclusive) {
  std::mt19937 rng(5);
  ScanWork work = RandomWork(rng, 0);
  uint32_t best = 0;
  Target256 best_hash;
  best_hash.fill(0xffffffff);
  for (uint32_t n = 0; n < 20000; ++n) {
    Target256 h = HashAsWords(HashNonce(work, n));
    if (std::lexicographical_compare(h.rbegin(), h.rend(), best_hash.rbegin(), best_hash.rend())) {
      best_hash = h;
      best = n;
    }
  }
  work.target = best_hash;
  EXPECT_EQ(Scan(work, 0, 20000), std::vector<uint32_t>{best});
  for (int i = 0; i < 8 && work.target[i]-- == 0; ++i) {
  }
  EXPECT_TRUE(Scan(work, 0, 20000).empty());
}

TEST_P(CoreTest, FindsBlock125552) {
  const uint8_t prev[32] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0xa3, 0xa4, 0x1b, 0x85,
                            0xb8, 0xb2, 0x9a, 0xd4, 0x44, 0xde, 0xf2, 0x99, 0xfe, 0xe2, 0x17,
                            0x93, 0xcd, 0x8b, 0x9e, 0x56, 0x7e, 0xab, 0x02, 0xcd, 0x81};
  const uint8_t merkle[32] = {0x2b, 0x12, 0xfc, 0xf1, 0xb0, 0x92, 0x88, 0xfc, 0xaf, 0xf7, 0x97,
                              0xd7, 0x1e, 0x95, 0x0e, 0x71, 0xae, 0x42, 0xb9, 0x1e, 0x8b, 0xdb,
                              0x23, 0x04, 0x75, 0x8d, 0xfc, 0xff, 0xc2, 0xb6, 0x20, 0xe3};
  const uint32_t nonce = 0x9546a142;
  std::vector<uint8_t> header = Header(1, prev, merkle, 0x4dd7f5c7, 0x1a44b9f2, nonce);
  // Display hash 00000000000000001e8d6829...1f98bd1d: internal bytes end in eight zeros.
  Digest hash = Sha256d(header);
  EXPECT_EQ(hash[0], 0x1d);
  EXPECT_EQ(hash[1], 0xbd);
  EXPECT_EQ(hash[23], 0x1e);
  ScanWork work = MakeScanWork(header, TargetFromBits(0x1a44b9f2));
  EXPECT_EQ(Scan(work, nonce - (1 << 15), 1 << 16), std::vector<uint32_t>{nonce});
  // Difficulty-1 target: still the only H7 == 0 nonce in the window.
  work.target = {0, 0, 0, 0, 0, 0, 0xffff0000, 0};
  EXPECT_EQ(Scan(work, nonce - (1 << 15), 1 << 16), std::vector<uint32_t>{nonce});
}

// A block mined after 2017 with a BIP9 version (0x20000000): block 500000.
TEST_P(CoreTest, FindsBlock500000) {
  const uint8_t prev[32] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x79, 0x62,
                            0x06, 0x6d, 0xcd, 0x66, 0x75, 0x83, 0x08, 0x83, 0x51, 0x6b, 0xcf,
                            0x40, 0x04, 0x7d, 0x42, 0x74, 0x0a, 0x85, 0xeb, 0x29, 0x19};
  const uint8_t merkle[32] = {0x31, 0x95, 0x1c, 0x69, 0x42, 0x8a, 0x95, 0xa4, 0x6b, 0x51, 0x7f,
                              0xfb, 0x0d, 0xe1, 0x2f, 0xec, 0x1b, 0xd0, 0xb2, 0x39, 0x2a, 0xec,
                              0x07, 0xb6, 0x45, 0x73, 0xe0, 0x3d, 0xed, 0x31, 0x62, 0x1f};
  const uint32_t nonce = 1560058197;
  std::vector<uint8_t> header = Header(0x20000000, prev, merkle, 1513622125, 0x18009645, nonce);
  Digest hash = Sha256d(header);  // Display 00000000000000000024fb37...a1945d04.
  EXPECT_EQ(hash[0], 0x04);
  EXPECT_EQ(hash[22], 0x24);
  EXPECT_EQ(hash[23], 0x00);
  ScanWork work = MakeScanWork(header, TargetFromBits(0x18009645));
  EXPECT_EQ(Scan(work, nonce - (1 << 15), 1 << 16), std::vector<uint32_t>{nonce});
}

TEST_P(CoreTest, FindsGenesisBlock) {
  const uint8_t prev[32] = {};
  const uint8_t merkle[32] = {0x4a, 0x5e, 0x1e, 0x4b, 0xaa, 0xb8, 0x9f, 0x3a, 0x32, 0x51, 0x8a,
                              0x88, 0xc3, 0x1b, 0xc8, 0x7f, 0x61, 0x8f, 0x76, 0x67, 0x3e, 0x2c,
                              0xc7, 0x7a, 0xb2, 0x12, 0x7b, 0x7a, 0xfd, 0xed, 0xa3, 0x3b};
  const uint32_t nonce = 2083236893;
  std::vector<uint8_t> header = Header(1, prev, merkle, 1231006505, 0x1d00ffff, nonce);
  Digest hash = Sha256d(header);  // 000000000019d6689c085ae1...8ce26f
  EXPECT_EQ(hash[0], 0x6f);
  EXPECT_EQ(hash[31], 0x00);
  ScanWork work = MakeScanWork(header, TargetFromBits(0x1d00ffff));
  EXPECT_EQ(Scan(work, nonce - (1 << 15), 1 << 16), std::vector<uint32_t>{nonce});
}

// Sibling works of version rolling: `n` headers that differ only in the version's BIP 320 bits.
std::vector<ScanWork> Siblings(std::vector<uint8_t> header, const Target256& target, int n) {
  std::vector<ScanWork> works;
  for (int v = 0; v < n; ++v) {
    std::vector<uint8_t> rolled = header;
    rolled[1] = static_cast<uint8_t>(rolled[1] ^ ((v & 7) << 5));  // Bits 13..15 of the version.
    rolled[2] = static_cast<uint8_t>(rolled[2] ^ (v >> 3));        // Bits 16..20.
    works.push_back(MakeScanWork(rolled, target));
  }
  return works;
}

std::vector<RowFound> ReferenceRow(std::span<const ScanWork> works, uint32_t start,
                                   uint64_t count) {
  std::vector<RowFound> found;
  for (size_t w = 0; w < works.size(); ++w) {
    for (uint32_t n : ReferenceScan(works[w], start, count)) {
      found.push_back({static_cast<uint32_t>(w), n});
    }
  }
  return found;
}

std::vector<RowFound> Sorted(std::vector<RowFound> found) {
  std::sort(found.begin(), found.end(), [](const RowFound& a, const RowFound& b) {
    return a.work != b.work ? a.work < b.work : a.nonce < b.nonce;
  });
  return found;
}

// Rows of 1 to 9 sibling works (past kMaxRowWorks = 8: the core splits them), odd counts and a
// range ending at 2^32; about one nonce in 256 is a share of each work.
TEST_P(CoreTest, RowsOfSiblingWorksMatchReference) {
  struct Case {
    std::vector<ScanWork> works;
    uint32_t start;
    uint64_t count;
    std::vector<RowFound> expected;
  };
  // Computed once, shared by every core.
  static const std::vector<Case>* cases = [] {
    std::mt19937 rng(310);
    std::vector<uint8_t> header(80);
    for (uint8_t& b : header) b = static_cast<uint8_t>(rng());
    Target256 target;
    for (uint32_t& w : target) w = rng();
    target[7] = 0x00ffffff;
    auto* v = new std::vector<Case>;
    for (int n : {1, 2, 3, 8, 9}) {
      const uint64_t count = n == 9 ? 1001 : 3333;
      const uint32_t start = n == 3 ? static_cast<uint32_t>((uint64_t{1} << 32) - count) : rng();
      std::vector<ScanWork> works = Siblings(header, target, n);
      std::vector<RowFound> expected = ReferenceRow(works, start, count);
      v->push_back({std::move(works), start, count, std::move(expected)});
    }
    return v;
  }();
  size_t total = 0;
  for (const Case& c : *cases) {
    ASSERT_TRUE(SharesTail(c.works));
    std::vector<RowFound> got;
    GetParam()->ScanRow(c.works, c.start, c.count, &got);
    EXPECT_EQ(Sorted(got), c.expected) << c.works.size() << " works from " << c.start;
    total += c.expected.size();
  }
  EXPECT_GT(total, 200u);
  std::vector<RowFound> none;
  GetParam()->ScanRow(cases->back().works, 77, 0, &none);
  EXPECT_TRUE(none.empty());
}

// Works that do not share a tail (another ntime) or a target are still scanned exactly.
TEST_P(CoreTest, RowsThatDoNotShareATailFallBackToOneScanPerWork) {
  std::mt19937 rng(311);
  std::vector<uint8_t> header(80);
  for (uint8_t& b : header) b = static_cast<uint8_t>(rng());
  Target256 target;
  target.fill(0xffffffff);
  target[7] = 0x00ffffff;
  std::vector<ScanWork> works = Siblings(header, target, 3);
  header[70] ^= 1;  // ntime
  works.push_back(MakeScanWork(header, target));
  works[1].target[7] = 0x01ffffff;
  EXPECT_FALSE(SharesTail(works));
  std::vector<RowFound> got;
  GetParam()->ScanRow(works, 1000, 2049, &got);
  EXPECT_EQ(Sorted(got), ReferenceRow(works, 1000, 2049));
}

// Block 500000 among three rolled siblings: only the real header (work 2) meets its target.
TEST_P(CoreTest, FindsBlock500000InARowOfRolledVersions) {
  const uint8_t prev[32] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x79, 0x62,
                            0x06, 0x6d, 0xcd, 0x66, 0x75, 0x83, 0x08, 0x83, 0x51, 0x6b, 0xcf,
                            0x40, 0x04, 0x7d, 0x42, 0x74, 0x0a, 0x85, 0xeb, 0x29, 0x19};
  const uint8_t merkle[32] = {0x31, 0x95, 0x1c, 0x69, 0x42, 0x8a, 0x95, 0xa4, 0x6b, 0x51, 0x7f,
                              0xfb, 0x0d, 0xe1, 0x2f, 0xec, 0x1b, 0xd0, 0xb2, 0x39, 0x2a, 0xec,
                              0x07, 0xb6, 0x45, 0x73, 0xe0, 0x3d, 0xed, 0x31, 0x62, 0x1f};
  const uint32_t nonce = 1560058197;
  std::vector<uint8_t> header = Header(0x20000000, prev, merkle, 1513622125, 0x18009645, nonce);
  std::vector<ScanWork> works = Siblings(header, TargetFromBits(0x18009645), 4);
  std::swap(works[0], works[2]);  // Siblings(..)[0] is the real header.
  std::vector<RowFound> got;
  GetParam()->ScanRow(works, nonce - (1 << 12), 1 << 13, &got);
  EXPECT_EQ(got, (std::vector<RowFound>{{2, nonce}}));
}

// The lane cores share each nonce's schedule across a row; the others scan one work at a time.
TEST(CoreRowTest, LaneCoresHashRowsTogether) {
  EXPECT_EQ(ScalarCore().MaxRow(), kMaxRowWorks);
  EXPECT_EQ(Avx2Core().MaxRow(), kMaxRowWorks);
  EXPECT_EQ(Avx512Core().MaxRow(), kMaxRowWorks);
  EXPECT_EQ(ShaNiCore().MaxRow(), 1);
  EXPECT_EQ(HybridCore().MaxRow(), 1);
}

std::vector<const HashCore*> CoresUnderTest() {
  std::vector<const HashCore*> cores = AllCores();
  cores.push_back(&ShaNiPlainCore());
  return cores;
}

std::string CoreName(const ::testing::TestParamInfo<const HashCore*>& info) {
  std::string name(info.param->Name());
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllCores, CoreTest, ::testing::ValuesIn(CoresUnderTest()), CoreName);

}  // namespace
}  // namespace synth::hash
