// synthctl --master A,B status: per-master blocks, an unreachable master, the cluster total.
#include "master/ctl/multi_status.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace synth::ctl {
namespace {

using ::testing::HasSubstr;

// A 64-bit count in ToJson's output: a string in proto3's JSON mapping, or a number.
uint64_t Count(const nlohmann::json& v) {
  return v.is_string() ? std::stoull(v.get<std::string>()) : v.get<uint64_t>();
}

MasterStatus Up(const std::string& address, uint32_t workers, uint64_t accepted, double rate) {
  MasterStatus m{address, true, "", {}};
  m.status.set_workers(workers);
  m.status.set_pool_url("stratum+tcp://pool:3333");
  m.status.mutable_shares()->set_found(accepted + 1);
  m.status.mutable_shares()->set_accepted(accepted);
  m.status.mutable_shares()->set_stale(1);
  m.status.mutable_reported_rates()->set_last_1m_hps(rate);
  m.status.set_reported_rate_hps(rate);
  return m;
}

TEST(MultiStatusTest, SumsTheMastersThatAnswered) {
  std::vector<MasterStatus> all = {Up("a:4650", 2, 10, 1e6), Up("b:4650", 3, 5, 2e6),
                                   {"c:4650", false, "unreachable: connection refused", {}}};
  v1::StatusResponse t = SumStatuses(all);
  EXPECT_EQ(t.workers(), 5u);
  EXPECT_EQ(t.shares().accepted(), 15u);
  EXPECT_EQ(t.shares().found(), 17u);
  EXPECT_EQ(t.shares().stale(), 2u);
  EXPECT_DOUBLE_EQ(t.reported_rates().last_1m_hps(), 3e6);
  EXPECT_DOUBLE_EQ(t.reported_rate_hps(), 3e6);
  EXPECT_TRUE(t.pool_url().empty()) << "per-master fields are not summed";
}

TEST(MultiStatusTest, TableShowsEachMasterTheErrorAndTheTotal) {
  std::vector<MasterStatus> all = {Up("a:4650", 2, 10, 1e6),
                                   {"b:4650", false, "unreachable: connection refused", {}}};
  std::string out = FormatMultiStatus(all);
  EXPECT_THAT(out, HasSubstr("== master a:4650\n"));
  EXPECT_THAT(out, HasSubstr("== master b:4650\n  unreachable: connection refused"));
  EXPECT_THAT(out, HasSubstr("== cluster (1 of 2 masters answered)"));
  EXPECT_THAT(out, HasSubstr("workers     2 (0 draining)"));
  EXPECT_THAT(out, HasSubstr("accepted 10"));
}

TEST(MultiStatusTest, JsonListsEveryMasterAndTheTotal) {
  std::vector<MasterStatus> all = {Up("a:4650", 2, 10, 1e6), Up("b:4650", 1, 4, 5e5)};
  nlohmann::json j = nlohmann::json::parse(MultiStatusJson(all));
  ASSERT_EQ(j["masters"].size(), 2u);
  EXPECT_EQ(j["masters"][1]["master"], "b:4650");
  EXPECT_EQ(j["masters"][1]["ok"], true);
  EXPECT_EQ(j["masters"][0]["status"]["workers"], 2);
  EXPECT_EQ(j["masters_up"], 2);
  EXPECT_EQ(j["total"]["workers"], 3);
  EXPECT_EQ(Count(j["total"]["shares"]["accepted"]), 14u);
  all[1] = {"b:4650", false, "unreachable: deadline", {}};
  j = nlohmann::json::parse(MultiStatusJson(all));
  EXPECT_EQ(j["masters"][1]["error"], "unreachable: deadline");
  EXPECT_FALSE(j["masters"][1].contains("status"));
}

}  // namespace
}  // namespace synth::ctl
