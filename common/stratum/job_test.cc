#include "common/stratum/job.h"

#include "common/bitcoin/hex.h"
#include "common/bitcoin/uint256.h"
#include "gtest/gtest.h"

namespace synth::stratum {
namespace {

using nlohmann::json;

// Block 100000's coinbase, split inside its scriptSig (044c86041b020602) as a pool would:
// coinb1 ends after "044c8604", extranonce1 = 1b02, extranonce2 = 0602.
const char* kCoinb1 =
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff08044c"
    "8604";
const char* kExtranonce1 = "1b02";
const char* kExtranonce2 = "0602";
const char* kCoinb2 =
    "ffffffff0100f2052a010000004341041b0e8c2567c12536aa13357b79a073dc4444acb83c4ec7a0e2f99dd7"
    "457516c5817242da796924ca4e99947d087fedf9ce467cb9f7c6287078f801df276fdf84ac00000000";

json Block100000Notify() {
  auto prev = bitcoin::HashFromDisplayHex(
      "000000000002d01c1fccc21636b607dfd930d31d01c3a62104612a1719011250", "prev");
  return json::array(
      {"job-100000", PrevHashToStratum(*prev), kCoinb1, kCoinb2,
       json::array({"c40297f730dd7b5a99567eb8d27b78758f607507c52292d02d4031895b52f2ff",
                    "49aef42d78e3e9999c9e6ec9e1dddd6cb880bf3b076a03be1318ca789089308e"}),
       "00000001", "1b04864c", "4d1b2237", true});
}

std::vector<uint8_t> Bytes(const char* hex) { return *bitcoin::HexToBytes(hex, "test"); }

TEST(JobTest, RealBlockFromStratumFieldsToHeader) {
  auto job = ParseNotifyParams(Block100000Notify());
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->job_id, "job-100000");
  EXPECT_EQ(job->version, 1u);
  EXPECT_EQ(job->nbits, 0x1b04864cu);
  EXPECT_TRUE(job->clean_jobs);
  std::vector<uint8_t> en1 = Bytes(kExtranonce1), en2 = Bytes(kExtranonce2);
  EXPECT_EQ(bitcoin::BytesToHexReversed(JobMerkleRoot(*job, en1, en2)),
            "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766");
  bitcoin::BlockHeader h = BuildHeader(*job, en1, en2, 1, job->ntime, 274148111);
  EXPECT_EQ(h.DisplayHash(), "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506");

  // The hashing work for the same header finds the same hash, and it meets the block target.
  auto target = bitcoin::TargetFromBits(job->nbits);
  hash::ScanWork work = BuildScanWork(*job, en1, en2, 1, job->ntime, target->words());
  EXPECT_EQ(hash::HashNonce(work, 274148111), h.Hash());
  EXPECT_TRUE(hash::MeetsTarget(hash::HashNonce(work, 274148111), work.target));
  EXPECT_FALSE(hash::MeetsTarget(hash::HashNonce(work, 274148112), work.target));
}

// The genesis block as a pool would send it: no other transactions, so an empty merkle branch
// and the root is the coinbase txid. Its scriptSig (04ffff001d 0104 45 "The Times 03/Jan/2009
// ...") is split at arbitrary points for extranonce1 and extranonce2.
TEST(JobTest, GenesisBlockWithAnEmptyBranch) {
  const json params = json::array(
      {"genesis", std::string(64, '0'),
       "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff4d04"
       "ffff001d",
       "2054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f662073"
       "65636f6e64206261696c6f757420666f722062616e6b73ffffffff0100f2052a01000000434104678afdb0"
       "fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112"
       "de5c384df7ba0b8d578a4c702b6bf11d5fac00000000",
       json::array(), "00000001", "1d00ffff", "495fab29", false});
  auto job = ParseNotifyParams(params);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_TRUE(job->merkle_branch.empty());
  EXPECT_EQ(job->ntime, 1231006505u);
  auto en1 = ParseExtranonce1("0104");
  auto en2 = ParseExtranonce2("45546865", 4);
  ASSERT_TRUE(en1.ok() && en2.ok());
  EXPECT_EQ(bitcoin::BytesToHexReversed(JobMerkleRoot(*job, *en1, *en2)),
            "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
  bitcoin::BlockHeader h = BuildHeader(*job, *en1, *en2, job->version, job->ntime, 2083236893);
  EXPECT_EQ(h.DisplayHash(), "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f");
  // A different extranonce2 is a different coinbase, so a different header hash.
  auto other = ParseExtranonce2("45546866", 4);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(BuildHeader(*job, *en1, *other, 1, job->ntime, 2083236893).Hash(), h.Hash());
}

// Block 501728 (December 2017, BIP9 version 0x20000000, AntPool): a segwit-era coinbase with a
// witness commitment output. Pools send the coinbase without its witness (the txid
// serialization); here its scriptSig ends with what looks like AntPool's extranonce1 (b1080000)
// and a 4-byte extranonce2 (433c8ee3). The block has no other transaction.
TEST(JobTest, Bip9SegwitEraBlockFromStratumFields) {
  auto prev = bitcoin::HashFromDisplayHex(
      "0000000000000000008b28f1726cc181500c7898a63689a9c9e723643e593261", "prev");
  ASSERT_TRUE(prev.ok());
  const json params = json::array(
      {"501728", PrevHashToStratum(*prev),
       "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff2403"
       "e0a707174d696e656420627920416e74506f6f6c6e06205a478f47",
       "ffffffff02807c814a000000001976a914eb181d60731cc7521db83a8f93beba8da692a22988ac00000000"
       "00000000266a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf9"
       "00000000",
       json::array(), "20000000", "18009645", "5a478f48", true});
  auto job = ParseNotifyParams(params);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(job->version, 0x20000000u);
  auto en1 = ParseExtranonce1("b1080000");
  auto en2 = ParseExtranonce2("433c8ee3", 4);
  ASSERT_TRUE(en1.ok() && en2.ok());
  EXPECT_EQ(bitcoin::BytesToHexReversed(JobMerkleRoot(*job, *en1, *en2)),
            "d236a5a45ddcc90e5f04bd27375f0fe88c4924179b6992a4ce7004393a169f91");
  bitcoin::BlockHeader h = BuildHeader(*job, *en1, *en2, job->version, job->ntime, 987863183);
  EXPECT_EQ(h.DisplayHash(), "00000000000000000013460c16ffa09553e9739aebbd467d7bf34284f2dd5134");
  auto target = bitcoin::TargetFromBits(job->nbits);
  ASSERT_TRUE(target.ok());
  hash::ScanWork work = BuildScanWork(*job, *en1, *en2, job->version, job->ntime, target->words());
  EXPECT_EQ(hash::HashNonce(work, 987863183), h.Hash());
  EXPECT_TRUE(hash::MeetsTarget(h.Hash(), work.target));
}

TEST(JobTest, ParsesAndChecksExtranonces) {
  auto en1 = ParseExtranonce1("f000000f");
  ASSERT_TRUE(en1.ok());
  EXPECT_EQ(*en1, (std::vector<uint8_t>{0xf0, 0, 0, 0x0f}));
  ASSERT_TRUE(ParseExtranonce1("").ok());
  EXPECT_TRUE(ParseExtranonce1("")->empty());
  for (const std::string& bad : {std::string("abc"), std::string("zz"), std::string(66, '0')}) {
    auto r = ParseExtranonce1(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("extranonce1"), std::string::npos) << r.status();
  }

  for (int size : {1, 4, 8, kMaxExtranonce2Size}) EXPECT_TRUE(CheckExtranonce2Size(size).ok());
  for (int size : {-1, 0, kMaxExtranonce2Size + 1, 1 << 30}) {
    absl::Status s = CheckExtranonce2Size(size);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << size;
    EXPECT_NE(s.message().find("extranonce2_size"), std::string::npos) << s;
  }

  auto en2 = ParseExtranonce2("0602", 2);
  ASSERT_TRUE(en2.ok());
  EXPECT_EQ(*en2, (std::vector<uint8_t>{6, 2}));
  struct {
    const char* hex;
    int size;
    const char* field;
  } const bad_en2[] = {{"06", 2, "extranonce2"},    {"060200", 2, "extranonce2"},
                       {"060", 2, "extranonce2"},   {"zz02", 2, "extranonce2"},
                       {"", 0, "extranonce2_size"}, {"00", -1, "extranonce2_size"}};
  for (const auto& c : bad_en2) {
    auto r = ParseExtranonce2(c.hex, c.size);
    ASSERT_FALSE(r.ok()) << c.hex;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.field), std::string::npos) << r.status();
  }
}

TEST(JobTest, IgnoresValuesAfterTheNinth) {
  json params = Block100000Notify();
  params.push_back("something a pool added");
  auto job = ParseNotifyParams(params);
  ASSERT_TRUE(job.ok()) << job.status();
  EXPECT_EQ(ToNotifyParams(*job), Block100000Notify());
}

TEST(JobTest, PrevHashWordSwapMatchesFieldExample) {
  auto prev = bitcoin::HashFromDisplayHex(
      "00000000000008a3a41b85b8b29ad444def299fee21793cd8b9e567eab02cd81", "prev");
  std::string wire = PrevHashToStratum(*prev);
  EXPECT_EQ(wire, "ab02cd818b9e567ee21793cddef299feb29ad444a41b85b8000008a300000000");
  auto back = PrevHashFromStratum(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *prev);
}

TEST(JobTest, EncodesWhatItParses) {
  auto job = ParseNotifyParams(Block100000Notify());
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(ToNotifyParams(*job), Block100000Notify());
}

struct BadCase {
  const char* what;
  int index;  // param to replace, or -1 to drop the last param
  json value;
  const char* field;
};

TEST(JobTest, RejectsBadInputNamingTheField) {
  const BadCase cases[] = {
      {"job id not a string", 0, 7, "job_id"},
      {"empty job id", 0, "", "job_id"},
      {"long job id", 0, std::string(200, 'a'), "job_id"},
      {"short prevhash", 1, std::string(62, '0'), "prevhash"},
      {"non-hex prevhash", 1, std::string(64, 'x'), "prevhash"},
      {"odd coinb1", 2, "abc", "coinb1"},
      {"empty coinb2", 3, "", "coinb2"},
      {"coinb2 a number", 3, 12, "coinb2"},
      {"branch not array", 4, "00", "merkle_branch"},
      {"short branch entry", 4, json::array({"00"}), "merkle_branch[0]"},
      {"branch entry a number", 4, json::array({1}), "merkle_branch[0]"},
      {"version 7 digits", 5, "0000001", "version"},
      {"nbits number", 6, 0x1b04864c, "nbits"},
      {"nbits zero target", 6, "00000000", "nbits"},
      {"nbits negative target", 6, "1d80ffff", "nbits"},
      {"nbits overflowing target", 6, "22010000", "nbits"},
      {"prevhash a number", 1, 0, "prevhash"},
      {"coinb1 too long", 2, std::string(2 * kMaxCoinbasePartBytes + 2, '0'), "coinb1"},
      {"empty coinb1", 2, "", "coinb1"},
      {"branch entry too long", 4, json::array({std::string(66, '0')}), "merkle_branch[0]"},
      {"second branch entry bad", 4, json::array({std::string(64, '0'), "zz"}), "merkle_branch[1]"},
      {"version null", 5, nullptr, "version"},
      {"ntime 9 digits", 7, "4d1b22370", "ntime"},
      {"ntime non-hex", 7, "4d1b223z", "ntime"},
      {"clean_jobs string", 8, "true", "clean_jobs"},
      {"too few params", -1, nullptr, "params"},
  };
  for (const BadCase& c : cases) {
    json params = Block100000Notify();
    if (c.index < 0) {
      params.erase(params.size() - 1);
    } else {
      params[c.index] = c.value;
    }
    auto job = ParseNotifyParams(params);
    ASSERT_FALSE(job.ok()) << c.what;
    EXPECT_EQ(job.status().code(), absl::StatusCode::kInvalidArgument) << c.what;
    EXPECT_NE(job.status().message().find(c.field), std::string::npos)
        << c.what << ": " << job.status();
  }
  EXPECT_FALSE(ParseNotifyParams(json::object()).ok());
  EXPECT_FALSE(ParseNotifyParams(json("x")).ok());
  json huge = Block100000Notify();
  huge[4] = json::array();
  for (int i = 0; i < 33; ++i) huge[4].push_back(std::string(64, '0'));
  EXPECT_FALSE(ParseNotifyParams(huge).ok());
}

}  // namespace
}  // namespace synth::stratum
