#include "master/api/reply.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "master/api/codes.h"
#include "master/api/test_snapshot.h"
#include "nlohmann/json.hpp"

namespace synth::api {
namespace {

using nlohmann::json;

class ReplyTest : public ::testing::Test {
 protected:
  ReplyTest() {
    backend_.snapshot = [this] { return snap_; };
    backend_.switch_pool =
        [this](const v1::SwitchPoolRequest& r) -> absl::StatusOr<v1::SwitchPoolResponse> {
      switched_to_ = static_cast<int>(r.index());
      v1::SwitchPoolResponse out;
      out.set_index(r.index());
      out.set_url(snap_.pools.pools(r.index()).url());
      return out;
    };
    ctx_ = {&backend_, "acct.rig", absl::FromUnixSeconds(1700000000)};
  }

  // Answers `request` and returns the parsed JSON (the NUL stripped, checked).
  json Ask(const std::string& request, ApiGroup group = ApiGroup::kRead) {
    std::string out = Answer(ParseRequest(request), group, ctx_).bytes;
    EXPECT_FALSE(out.empty());
    EXPECT_EQ(out.back(), '\0');
    EXPECT_EQ(out.find('\0'), out.size() - 1);
    return json::parse(out.substr(0, out.size() - 1));
  }
  // The first STATUS object of a single-command answer.
  static const json& Status(const json& j) { return j.at("STATUS").at(0); }

  ApiSnapshot snap_ = TestSnapshot();
  ApiBackend backend_;
  ApiContext ctx_;
  int switched_to_ = -1;
};

TEST_F(ReplyTest, SummaryHasCgminersShapeAndNumbers) {
  json j = Ask(R"({"command":"summary","parameter":""})");
  const json& st = Status(j);
  EXPECT_EQ(st.at("STATUS"), "S");
  EXPECT_EQ(st.at("When"), 1700000000);
  EXPECT_EQ(st.at("Code"), kCodeSummary);
  EXPECT_EQ(st.at("Msg"), "Summary");
  EXPECT_EQ(st.at("Description"), "synth-master 0.1.0");
  EXPECT_EQ(j.at("id"), 1);
  const json& s = j.at("SUMMARY").at(0);
  for (const char* f :
       {"Elapsed", "MHS av", "MHS 5s", "MHS 1m", "MHS 15m", "GHS 5s", "GHS av", "Accepted",
        "Rejected", "Stale", "Hardware Errors", "Utility", "Difficulty Accepted", "Best Share",
        "Device Hardware%", "Pool Rejected%", "Pool Stale%"}) {
    ASSERT_TRUE(s.contains(f)) << f;
    EXPECT_TRUE(s.at(f).is_number()) << f << " is " << s.at(f).dump();
  }
  EXPECT_EQ(s.at("Elapsed"), 120);
  EXPECT_DOUBLE_EQ(s.at("MHS 5s").get<double>(), 2500);
  EXPECT_DOUBLE_EQ(s.at("MHS av").get<double>(), 2345.68);
  EXPECT_DOUBLE_EQ(s.at("GHS 5s").get<double>(), 2.5);
  EXPECT_DOUBLE_EQ(s.at("GHS av").get<double>(), 2.34568);
  EXPECT_EQ(s.at("Accepted"), 90);
  EXPECT_EQ(s.at("Rejected"), 4);
  EXPECT_EQ(s.at("Stale"), 2);
  EXPECT_EQ(s.at("Hardware Errors"), 3);
  EXPECT_EQ(s.at("Best Share"), 1234);
  EXPECT_DOUBLE_EQ(s.at("Difficulty Accepted").get<double>(), 45);
  EXPECT_DOUBLE_EQ(s.at("Utility").get<double>(), 44.74);          // 90 per 120.7 s, per minute.
  EXPECT_DOUBLE_EQ(s.at("Pool Rejected%").get<double>(), 4.1667);  // 4 of 96.
  // Keys keep cgminer's order: STATUS first, id last.
  EXPECT_EQ(j.begin().key(), "STATUS");
}

TEST_F(ReplyTest, PoolsAndDevsDescribeTheCluster) {
  json p = Ask(R"({"command":"pools"})");
  EXPECT_EQ(Status(p).at("Code"), kCodePools);
  EXPECT_EQ(Status(p).at("Msg"), "2 Pool(s)");
  const json& pools = p.at("POOLS");
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].at("POOL"), 0);
  EXPECT_EQ(pools[0].at("URL"), "stratum+tcp://pool.example:3333");
  EXPECT_EQ(pools[0].at("Status"), "Alive");
  EXPECT_EQ(pools[0].at("Priority"), 0);
  EXPECT_EQ(pools[0].at("User"), "acct.rig");
  EXPECT_EQ(pools[0].at("Stratum Active"), true);
  EXPECT_EQ(pools[0].at("Stratum URL"), "pool.example:3333");
  EXPECT_EQ(pools[0].at("Accepted"), 90);
  EXPECT_EQ(pools[1].at("Status"), "Unknown");
  EXPECT_EQ(pools[1].at("Priority"), 1);
  EXPECT_EQ(pools[1].at("Stratum Active"), false);

  json d = Ask(R"({"command":"devs"})");
  EXPECT_EQ(Status(d).at("Msg"), "4 ASC(s)");
  const json& devs = d.at("DEVS");
  ASSERT_EQ(devs.size(), 4u);
  EXPECT_EQ(devs[3].at("Name"), "STM");  // A miner on the Stratum port: its own driver.
  EXPECT_EQ(devs[3].at("ID"), 0);
  EXPECT_EQ(devs[2].at("ASC"), 2);
  EXPECT_EQ(devs[2].at("Name"), "GPU");
  EXPECT_EQ(devs[2].at("ID"), 0);
  EXPECT_EQ(devs[1].at("Name"), "CPU");
  EXPECT_EQ(devs[1].at("ID"), 1);
  EXPECT_EQ(devs[2].at("Worker"), "rig-2");
  EXPECT_EQ(devs[2].at("Status"), "Sick");  // Flagged for hardware errors.
  EXPECT_DOUBLE_EQ(devs[2].at("MHS 5s").get<double>(), 2400);
  EXPECT_EQ(devs[2].at("Hardware Errors"), 3);
}

TEST_F(ReplyTest, StatsVersionConfig) {
  json s = Ask(R"({"command":"stats"})");
  const json& stats = s.at("STATS");
  ASSERT_EQ(stats.size(), 1u + 4u + 2u);   // The miner, four devices, two pools.
  EXPECT_EQ(stats[1].at("Elapsed"), 120);  // Where pyasic reads the uptime.
  EXPECT_EQ(stats[1].at("ID"), "CPU0");
  EXPECT_EQ(stats[4].at("ID"), "STM0");
  EXPECT_EQ(stats[6].at("ID"), "POOL1");
  json v = Ask(R"({"command":"version"})");
  EXPECT_EQ(v.at("VERSION").at(0).at("CGMiner"), "0.1.0");
  EXPECT_EQ(v.at("VERSION").at(0).at("API"), "3.7");
  json c = Ask(R"({"command":"config"})");
  EXPECT_EQ(c.at("CONFIG").at(0).at("ASC Count"), 4);
  EXPECT_EQ(c.at("CONFIG").at(0).at("Pool Count"), 2);
}

TEST_F(ReplyTest, JoinedLayoutNestsEachCommand) {
  json j = Ask(R"({"command":"summary+pools+devs","parameter":""})");
  EXPECT_EQ(j.at("id"), 1);
  for (const char* cmd : {"summary", "pools", "devs"}) {
    ASSERT_TRUE(j.contains(cmd)) << cmd;
    ASSERT_TRUE(j.at(cmd).is_array()) << cmd;
    EXPECT_EQ(j.at(cmd).at(0).at("STATUS").at(0).at("STATUS"), "S") << cmd;
    EXPECT_EQ(j.at(cmd).at(0).at("id"), 1) << cmd;
  }
  EXPECT_EQ(j.at("pools").at(0).at("POOLS").size(), 2u);
  // Unknown and non-report commands get their own error section; the rest still answer.
  json k = Ask(R"({"command":"summary+bogus+switchpool"})", ApiGroup::kWrite);
  EXPECT_EQ(k.at("summary").at(0).at("STATUS").at(0).at("STATUS"), "S");
  EXPECT_EQ(k.at("bogus").at(0).at("STATUS").at(0).at("Code"), kCodeInvalidCommand);
  EXPECT_EQ(k.at("switchpool").at(0).at("STATUS").at(0).at("Code"), kCodeAccessDenied);
  EXPECT_EQ(switched_to_, -1);
}

TEST_F(ReplyTest, BadRequestsGetCgminersErrorStatus) {
  EXPECT_EQ(Status(Ask("{garbage")).at("Code"), kCodeInvalidJson);
  EXPECT_EQ(Status(Ask(R"({"parameter":1})")).at("Code"), kCodeMissingCommand);
  EXPECT_EQ(Status(Ask(R"({"command":"frobnicate"})")).at("Code"), kCodeInvalidCommand);
  EXPECT_EQ(Status(Ask(R"({"command":"frobnicate"})")).at("STATUS"), "E");
  EXPECT_EQ(Status(Ask(R"({"command":"+"})")).at("Code"), kCodeInvalidCommand);
  EXPECT_EQ(Status(Ask(R"({"command":"check"})")).at("Code"), kCodeMissingCheck);
}

TEST_F(ReplyTest, PrivilegedCommandsNeedWriteAccess) {
  json denied = Ask(R"({"command":"switchpool","parameter":"1"})");
  EXPECT_EQ(Status(denied).at("STATUS"), "E");
  EXPECT_EQ(Status(denied).at("Code"), kCodeAccessDenied);
  EXPECT_EQ(Status(denied).at("Msg"), "Access denied to 'switchpool' command");
  EXPECT_EQ(switched_to_, -1);
  ApiAnswer a = Answer(ParseRequest("privileged"), ApiGroup::kRead, ctx_);
  EXPECT_EQ(a.denied, std::vector<std::string>{"privileged"});
  json check = Ask(R"({"command":"check","parameter":"switchpool"})");
  EXPECT_EQ(check.at("CHECK").at(0).at("Exists"), "Y");
  EXPECT_EQ(check.at("CHECK").at(0).at("Access"), "N");

  json ok = Ask(R"({"command":"switchpool","parameter":"1"})", ApiGroup::kWrite);
  EXPECT_EQ(Status(ok).at("Code"), kCodeSwitchPool);
  EXPECT_EQ(Status(ok).at("Msg"), "Switching to pool 1:'stratum+ssl://backup.example:443'");
  EXPECT_EQ(switched_to_, 1);
  EXPECT_EQ(Status(Ask(R"({"command":"privileged"})", ApiGroup::kWrite)).at("Code"), kCodeAccessOk);
}

TEST_F(ReplyTest, PoolCommandsValidateTheirParameter) {
  auto code = [&](const std::string& req) {
    return Status(Ask(req, ApiGroup::kWrite)).at("Code").get<int>();
  };
  EXPECT_EQ(code(R"({"command":"switchpool"})"), kCodeMissingPoolId);
  EXPECT_EQ(code(R"({"command":"switchpool","parameter":"2"})"), kCodeInvalidPoolId);
  EXPECT_EQ(code(R"({"command":"switchpool","parameter":"x"})"), kCodeInvalidPoolId);
  EXPECT_EQ(code(R"({"command":"switchpool","parameter":-1})"), kCodeInvalidPoolId);
  EXPECT_EQ(switched_to_, -1);
  EXPECT_EQ(code(R"({"command":"enablepool","parameter":"1"})"), kCodeAlreadyEnabled);
  EXPECT_EQ(code(R"({"command":"disablepool","parameter":"1"})"), kCodeNotSupported);
  EXPECT_EQ(code(R"({"command":"addpool"})"), kCodeMissingAddPool);
  // addpool's parameter carries a password: it is never echoed.
  std::string out = Answer(ParseRequest(R"({"command":"addpool","parameter":"u,w,s3cret-pw"})"),
                           ApiGroup::kWrite, ctx_)
                        .bytes;
  EXPECT_TRUE(absl::StrContains(out, "\"Code\":200")) << out;
  EXPECT_FALSE(absl::StrContains(out, "s3cret-pw")) << out;
  // Without a switch function (a one-pool upstream) the switch is refused, not crashed.
  backend_.switch_pool = nullptr;
  EXPECT_EQ(code(R"({"command":"switchpool","parameter":"0"})"), kCodeNotSupported);
}

TEST_F(ReplyTest, TextLayout) {
  std::string out = Answer(ParseRequest("summary"), ApiGroup::kRead, ctx_).bytes;
  ASSERT_EQ(out.back(), '\0');
  std::vector<std::string> parts = absl::StrSplit(out.substr(0, out.size() - 1), '|');
  ASSERT_GE(parts.size(), 2u);
  EXPECT_EQ(parts[0],
            "STATUS=S,When=1700000000,Code=11,Msg=Summary,Description=synth-master 0.1.0");
  EXPECT_TRUE(absl::StartsWith(parts[1], "SUMMARY,Elapsed=120,MHS av=2345.68,")) << parts[1];
  std::string pools = Answer(ParseRequest("pools"), ApiGroup::kRead, ctx_).bytes;
  EXPECT_TRUE(absl::StrContains(pools, "|POOL=0,URL=stratum+tcp://pool.example:3333,")) << pools;
  std::string joined = Answer(ParseRequest("version+config"), ApiGroup::kRead, ctx_).bytes;
  EXPECT_TRUE(absl::StartsWith(joined, "CMD=version|STATUS=S,")) << joined;
  EXPECT_TRUE(absl::StrContains(joined, "|CMD=config|STATUS=S,")) << joined;
  // Separators inside values are escaped.
  snap_.workers.mutable_workers(0)->set_worker_id("a|b,c=d");
  std::string devs = Answer(ParseRequest("devs"), ApiGroup::kRead, ctx_).bytes;
  EXPECT_TRUE(absl::StrContains(devs, "Worker=a\\|b\\,c\\=d,")) << devs;
}

TEST_F(ReplyTest, InvalidUtf8FromWorkersIsReplaced) {
  snap_.workers.mutable_workers(0)->set_worker_id("bad\xff\xfeid");
  json j = Ask(R"({"command":"devs"})");
  EXPECT_TRUE(absl::StartsWith(j.at("DEVS").at(0).at("Worker").get<std::string>(), "bad"));
  std::string text = Answer(ParseRequest("devs"), ApiGroup::kRead, ctx_).bytes;
  EXPECT_TRUE(absl::StrContains(text, "Worker=bad")) << text;
}

TEST_F(ReplyTest, EmptyClusterAnswersNoDevices) {
  snap_.workers.clear_workers();
  snap_.pools.clear_pools();
  EXPECT_EQ(Status(Ask(R"({"command":"devs"})")).at("Code"), kCodeNoDevs);
  EXPECT_EQ(Status(Ask(R"({"command":"pools"})")).at("Code"), kCodeNoPools);
  json s = Ask(R"({"command":"summary"})");
  EXPECT_EQ(s.at("SUMMARY").at(0).at("Accepted"), 90);
}

}  // namespace
}  // namespace synth::api
