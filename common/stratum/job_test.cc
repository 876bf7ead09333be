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
  return json::array({"job-100000", PrevHashToStratum(*prev), kCoinb1, kCoinb2,
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
  int index;   // param to replace, or -1 to drop the last param
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
