#include "worker/replay.h"

#include <sstream>
#include <string>
#include <vector>

#include "common/bitcoin/hex.h"
#include "common/bitcoin/uint256.h"
#include "common/stratum/job.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace synth::worker {
namespace {

using nlohmann::json;

// Block 100000 as a pool would have sent it (see common/stratum/job_test.cc for the split).
json Request() {
  return json{
      {"notify",
       json::array(
           {"job-100000", "1901125004612a1701c3a621d930d31d36b607df1fccc2160002d01c00000000",
            "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff"
            "08044c8604",
            "ffffffff0100f2052a010000004341041b0e8c2567c12536aa13357b79a073dc4444acb83c4ec7a0e2"
            "f99dd7457516c5817242da796924ca4e99947d087fedf9ce467cb9f7c6287078f801df276fdf84ac00"
            "000000",
            json::array({"c40297f730dd7b5a99567eb8d27b78758f607507c52292d02d4031895b52f2ff",
                         "49aef42d78e3e9999c9e6ec9e1dddd6cb880bf3b076a03be1318ca789089308e"}),
            "00000001", "1b04864c", "4d1b2237", true})},
      {"extranonce1", "1b02"},
      {"extranonce2", "0602"},
      {"difficulty", 1000.0},
      {"nonce_start", 274148111 - 5000},
      {"nonce_count", 10000},
      {"worker", "rig1"}};
}

std::vector<json> Replay(const json& req, absl::Status* status) {
  std::ostringstream out;
  *status = RunReplay(req.dump(), "auto", out);
  std::vector<json> lines;
  std::istringstream in(out.str());
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

TEST(ReplayTest, FindsTheRealBlockNonce) {
  absl::Status status;
  std::vector<json> shares = Replay(Request(), &status);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(shares.size(), 1u);
  EXPECT_EQ(shares[0]["submit"],
            json::array({"rig1", "job-100000", "0602", "4d1b2237", "10572b0f"}));
  EXPECT_EQ(shares[0]["hash"], "000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506");
  EXPECT_GT(shares[0]["difficulty"].get<double>(), 14484.0);
}

TEST(ReplayTest, VersionRollingSharesRebuildToValidHeaders) {
  json req = Request();
  req["difficulty"] = 1e-6;  // about one share per 4300 nonces
  req["nonce_start"] = 0;
  req["nonce_count"] = 40000;
  req["version_mask"] = "1fffe000";
  req["version"] = "0000a001";
  absl::Status status;
  std::vector<json> shares = Replay(req, &status);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_GE(shares.size(), 2u);
  auto job = stratum::ParseNotifyParams(req["notify"]);
  auto target = bitcoin::TargetFromDifficulty(1e-6);
  for (const json& s : shares) {
    ASSERT_EQ(s["submit"].size(), 6u);
    EXPECT_EQ(s["submit"][5], "0000a000");  // version & mask
    uint32_t bits = *bitcoin::HexToU32BigEndian(s["submit"][5].get<std::string>(), "v");
    uint32_t nonce = *bitcoin::HexToU32BigEndian(s["submit"][4].get<std::string>(), "n");
    // The pool's side: nVersion = (job_version & ~mask) | (bits & mask).
    uint32_t version = (job->version & ~0x1fffe000u) | (bits & 0x1fffe000u);
    auto header =
        stratum::BuildHeader(*job, *bitcoin::HexToBytes("1b02", "e1"),
                             *bitcoin::HexToBytes("0602", "e2"), version, job->ntime, nonce);
    EXPECT_EQ(header.DisplayHash(), s["hash"]);
    EXPECT_LE(bitcoin::Uint256::FromHash(header.Hash()), *target);
  }
}

TEST(ReplayTest, BadInputNamesTheField) {
  struct Case {
    const char* field;
    json value;  // null removes the field
  };
  const Case cases[] = {
      {"notify", nullptr},
      {"notify", json::array({1, 2})},
      {"extranonce1", "xyz"},
      {"extranonce2", ""},
      {"extranonce1", std::string(66, '0')},
      {"extranonce2", std::string(34, '0')},
      {"extranonce2", 5},
      {"difficulty", 0},
      {"difficulty", "1"},
      {"nonce_start", -1},
      {"nonce_start", 5000000000},
      {"nonce_count", nullptr},
      {"version_mask", "1fffe00"},
      {"version", "20000001"},
  };
  for (const Case& c : cases) {
    json req = Request();
    if (c.value.is_null()) {
      req.erase(c.field);
    } else {
      req[c.field] = c.value;
    }
    absl::Status status;
    std::vector<json> shares = Replay(req, &status);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.field << " " << c.value;
    EXPECT_NE(status.message().find(c.field), std::string::npos) << status;
    EXPECT_TRUE(shares.empty());
  }
  json req = Request();
  req["nonce_start"] = 0xffffff00u;
  req["nonce_count"] = 0x101;  // one past 2^32
  absl::Status status;
  Replay(req, &status);
  EXPECT_NE(status.message().find("nonce_count"), std::string::npos) << status;
  std::ostringstream out;
  EXPECT_FALSE(RunReplay("{not json", "auto", out).ok());
}

}  // namespace
}  // namespace synth::worker
