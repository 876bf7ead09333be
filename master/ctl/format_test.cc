#include "master/ctl/format.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace synth::ctl {
namespace {

using nlohmann::json;

bool Has(const std::string& out, const std::string& needle) {
  return out.find(needle) != std::string::npos;
}

v1::StatusResponse SampleStatus() {
  v1::StatusResponse s;
  s.set_master_version("1.2.3");
  s.set_pool_url("stratum+tcp://127.0.0.1:3333");
  s.set_pool_connected(true);
  s.set_pool_difficulty(0.5);
  s.set_job_id("j42");
  s.set_job_age_s(3.5);
  s.set_workers(2);
  s.set_workers_draining(1);
  s.set_reported_rate_hps(100e6);
  s.mutable_reported_rates()->set_last_5s_hps(100e6);
  s.mutable_reported_rates()->set_last_1m_hps(90e6);
  s.mutable_reported_rates()->set_last_15m_hps(2.5e9);
  s.mutable_verified_rates()->set_last_1m_hps(80e6);
  s.mutable_shares()->set_found(10);
  s.mutable_shares()->set_accepted(9);
  s.mutable_shares()->set_stale(1);
  s.set_coverage_audit("ok");
  return s;
}

v1::WorkersResponse SampleWorkers() {
  v1::WorkersResponse w;
  v1::WorkerStatus* x = w.add_workers();
  x->set_worker_id("w1");
  x->set_peer("ipv4:127.0.0.1:5000");
  x->set_reported_rate_hps(50e6);
  x->set_lease_state("draining");
  x->set_draining(true);
  x->set_units_leased(3);
  x->set_flagged(true);
  x->mutable_shares()->set_accepted(7);
  v1::DeviceStatus* d = x->add_devices();
  d->set_name("cuda:0");
  d->set_kind("cuda");
  d->set_impl("sm90");
  d->set_reported_rate_hps(1.5e9);
  d->set_shares_valid(5);
  d->set_batch_latency_ms(12.5);
  return w;
}

TEST(FormatTest, StatusTableShowsWindowsPoolDifficultyJobAge) {
  std::string out = FormatStatus(SampleStatus());
  EXPECT_TRUE(Has(out, "100.00 MH/s")) << out;
  EXPECT_TRUE(Has(out, "90.00 MH/s")) << out;
  EXPECT_TRUE(Has(out, "2.50 GH/s")) << out;
  EXPECT_TRUE(Has(out, "5 s")) << out;
  EXPECT_TRUE(Has(out, "15 min")) << out;
  EXPECT_TRUE(Has(out, "stratum+tcp://127.0.0.1:3333 (connected)")) << out;
  EXPECT_TRUE(Has(out, "difficulty  0.5")) << out;
  EXPECT_TRUE(Has(out, "job         j42, age 3.5 s")) << out;
  EXPECT_TRUE(Has(out, "2 (1 draining)")) << out;
  EXPECT_TRUE(Has(out, "found 10 = accepted 9")) << out;
  EXPECT_TRUE(Has(out, "stale 1")) << out;
}

TEST(FormatTest, StatusJsonIsSnakeCaseWithEveryField) {
  json j = json::parse(ToJson(SampleStatus()));
  EXPECT_EQ(j["pool_url"], "stratum+tcp://127.0.0.1:3333");
  EXPECT_EQ(j["pool_connected"], true);
  EXPECT_DOUBLE_EQ(j["pool_difficulty"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["job_age_s"].get<double>(), 3.5);
  EXPECT_DOUBLE_EQ(j["reported_rates"]["last_5s_hps"].get<double>(), 100e6);
  EXPECT_DOUBLE_EQ(j["reported_rates"]["last_15m_hps"].get<double>(), 2.5e9);
  // 64-bit counts are JSON numbers, not the strings of proto JSON: `jq '.shares.found > 9'`.
  ASSERT_TRUE(j["shares"]["found"].is_number_unsigned()) << j["shares"]["found"];
  EXPECT_GT(j["shares"]["found"].get<uint64_t>(), 9u);
  EXPECT_EQ(j["shares"]["found"], 10);
  EXPECT_EQ(j["shares"]["pool_down"], 0);  // Zero fields are printed too.
  EXPECT_EQ(j["workers"], 2);
  EXPECT_FALSE(j.contains("poolUrl"));
}

TEST(FormatTest, WorkersTableListsDevicesStateAndFlags) {
  std::string out = FormatWorkers(SampleWorkers());
  EXPECT_TRUE(Has(out, "WORKER")) << out;
  EXPECT_TRUE(Has(out, "w1")) << out;
  EXPECT_TRUE(Has(out, "draining")) << out;
  EXPECT_TRUE(Has(out, "50.00 MH/s")) << out;
  EXPECT_TRUE(Has(out, "cuda:0")) << out;
  EXPECT_TRUE(Has(out, "cuda sm90")) << out;
  EXPECT_TRUE(Has(out, "FLAGGED")) << out;
}

TEST(FormatTest, WorkersTableColumnsAlign) {
  v1::WorkersResponse w = SampleWorkers();
  w.add_workers()->set_worker_id("a-much-longer-id");
  std::string out = FormatWorkers(w);
  std::vector<std::string> lines;
  for (size_t p = 0, q; (q = out.find('\n', p)) != std::string::npos; p = q + 1) {
    lines.push_back(out.substr(p, q - p));
  }
  ASSERT_EQ(lines.size(), 4u) << out;
  // The REPORTED column ends at the same offset on the header and both worker rows.
  size_t end = lines[0].find("REPORTED") + std::string("REPORTED").size();
  EXPECT_EQ(lines[1].find("50.00 MH/s") + std::string("50.00 MH/s").size(), end) << out;
  EXPECT_EQ(lines[0].find("STATE"), lines[3].find(" - ") + 1) << out;
}

TEST(FormatTest, StratumMinersShowTheirDifficultyAndWithASplitTheirPool) {
  v1::WorkersResponse w;
  for (int pool : {1, -1}) {
    v1::WorkerStatus* x = w.add_workers();
    x->set_worker_id(pool >= 0 ? "farm.s19" : "farm.bitaxe");
    x->set_kind("stratum");
    x->set_lease_state("stratum");
    x->set_difficulty(512);
    x->set_user_agent("cgminer/4.12.0");
    x->set_pool_index(pool);
  }
  std::string out = FormatWorkers(w);
  EXPECT_TRUE(Has(out, "pool 1 diff 512 cgminer/4.12.0")) << out;
  EXPECT_EQ(out.find("pool -1"), std::string::npos) << out;  // No split: no pool shown.
  EXPECT_EQ(json::parse(ToJson(w))["workers"][0]["pool_index"], 1);
}

TEST(FormatTest, WorkersJson) {
  json j = json::parse(ToJson(SampleWorkers()));
  ASSERT_EQ(j["workers"].size(), 1u);
  EXPECT_EQ(j["workers"][0]["worker_id"], "w1");
  EXPECT_EQ(j["workers"][0]["lease_state"], "draining");
  EXPECT_EQ(j["workers"][0]["draining"], true);
  EXPECT_EQ(j["workers"][0]["units_leased"], 3);
  EXPECT_EQ(j["workers"][0]["devices"][0]["name"], "cuda:0");
  EXPECT_DOUBLE_EQ(j["workers"][0]["devices"][0]["reported_rate_hps"].get<double>(), 1.5e9);
}

TEST(FormatTest, AHungDeviceIsFlaggedHungOnItsRowAndItsWorkers) {
  v1::WorkersResponse w = SampleWorkers();
  w.mutable_workers(0)->set_flagged(false);
  w.mutable_workers(0)->mutable_devices(0)->set_hung(true);
  std::string workers = FormatWorkers(w);
  size_t first = workers.find("HUNG");
  ASSERT_NE(first, std::string::npos) << workers;
  EXPECT_NE(workers.find("HUNG", first + 1), std::string::npos) << "w1 and cuda:0: " << workers;
  EXPECT_FALSE(Has(workers, "FLAGGED")) << workers;
  w.mutable_workers(0)->mutable_devices(0)->set_flagged(true);
  EXPECT_TRUE(Has(FormatDevices(w), "HUNG,FLAGGED")) << FormatDevices(w);
}

TEST(FormatTest, DevicesTableOneRowPerDevice) {
  v1::WorkersResponse w = SampleWorkers();
  w.mutable_workers(0)->add_devices()->set_name("cpu:0");
  std::string out = FormatDevices(w);
  EXPECT_TRUE(Has(out, "DEVICE")) << out;
  EXPECT_TRUE(Has(out, "1.50 GH/s")) << out;
  EXPECT_TRUE(Has(out, "12.5 ms")) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3) << out;
  size_t first = out.find("w1"), second = out.find("w1", first + 1);
  EXPECT_NE(second, std::string::npos) << "worker id on every device row: " << out;
}

v1::SharesResponse SampleShares() {
  v1::SharesResponse s;
  s.mutable_totals()->set_found(4);
  s.mutable_totals()->set_accepted(2);
  s.mutable_totals()->set_rejected(1);
  s.mutable_totals()->set_hardware_error(1);
  v1::ShareRecord* r = s.add_recent();
  r->set_worker_id("w1");
  r->set_device("cpu:0");
  r->set_share_id(77);
  r->set_job_key("1.2/abc");
  r->set_difficulty(0.002);
  r->set_state(v1::SHARE_STATE_REJECTED);
  r->set_reason("low difficulty share");
  r->set_pool_code(23);
  r->set_age_s(1.25);
  return s;
}

TEST(FormatTest, SharesTableShowsVerdictsAndReasons) {
  std::string out = FormatShares(SampleShares());
  EXPECT_TRUE(Has(out, "found 4 = accepted 2 + rejected 1")) << out;
  EXPECT_TRUE(Has(out, "reconciles")) << out;
  EXPECT_TRUE(Has(out, "REASON")) << out;
  EXPECT_TRUE(Has(out, "rejected")) << out;
  EXPECT_TRUE(Has(out, "low difficulty share (code 23)")) << out;
  EXPECT_TRUE(Has(out, "1.2/abc")) << out;
}

TEST(FormatTest, SharesJsonStateIsEnumName) {
  json j = json::parse(ToJson(SampleShares()));
  EXPECT_EQ(j["totals"]["found"], 4);
  ASSERT_EQ(j["recent"].size(), 1u);
  EXPECT_EQ(j["recent"][0]["state"], "SHARE_STATE_REJECTED");
  EXPECT_EQ(j["recent"][0]["reason"], "low difficulty share");
  EXPECT_EQ(j["recent"][0]["pool_code"], 23);
  EXPECT_EQ(j["recent"][0]["share_id"], 77);
}

TEST(FormatTest, SharesSummaryReconcilesOrNamesTheGap) {
  v1::SharesResponse s = SampleShares();
  EXPECT_EQ(LedgerGap(s.totals()), 0);
  EXPECT_TRUE(Has(FormatSharesSummary(s), "reconciles"));
  EXPECT_FALSE(Has(FormatSharesSummary(s), "REASON"));
  s.mutable_totals()->set_found(6);
  EXPECT_EQ(LedgerGap(s.totals()), 2);
  EXPECT_TRUE(Has(FormatSharesSummary(s), "MISMATCH: 2")) << FormatSharesSummary(s);
}

TEST(FormatTest, StateName) {
  EXPECT_EQ(StateName(v1::SHARE_STATE_HARDWARE_ERROR), "hardware_error");
  EXPECT_EQ(StateName(v1::SHARE_STATE_ACCEPTED), "accepted");
}

TEST(FormatTest, JobsTableAndJson) {
  v1::JobsResponse j;
  v1::JobStatus* x = j.add_jobs();
  x->set_job_key("0.1/j7");
  x->set_pool_job_id("j7");
  x->set_current(true);
  x->set_clean(true);
  x->set_difficulty(0.25);
  x->set_age_s(300);
  x->set_units_done(9);
  std::string out = FormatJobs(j);
  EXPECT_TRUE(Has(out, "POOL JOB")) << out;
  EXPECT_TRUE(Has(out, "0.1/j7")) << out;
  EXPECT_TRUE(Has(out, "5.0 min")) << out;
  EXPECT_TRUE(Has(out, "yes")) << out;
  json p = json::parse(ToJson(j));
  EXPECT_EQ(p["jobs"][0]["job_key"], "0.1/j7");
  EXPECT_EQ(p["jobs"][0]["current"], true);
  EXPECT_EQ(p["jobs"][0]["units_done"], 9);
  EXPECT_DOUBLE_EQ(p["jobs"][0]["age_s"].get<double>(), 300);
}

TEST(FormatTest, PoolsTableAndJson) {
  v1::PoolsResponse p;
  p.set_switches(1);
  v1::PoolStatus* a = p.add_pools();
  a->set_index(0);
  a->set_url("stratum+tcp://127.0.0.1:3333");
  a->set_state("standby");
  v1::PoolStatus* b = p.add_pools();
  b->set_index(1);
  b->set_url("stratum+tcp://127.0.0.1:4444");
  b->set_state("active");
  b->set_active(true);
  b->set_connected(true);
  b->set_preferred(true);
  b->set_accepted(12);
  std::string out = FormatPools(p);
  EXPECT_TRUE(Has(out, "INDEX")) << out;
  EXPECT_TRUE(Has(out, "127.0.0.1:4444")) << out;
  EXPECT_TRUE(Has(out, "active")) << out;
  EXPECT_TRUE(Has(out, "preferred")) << out;
  EXPECT_TRUE(Has(out, "operator switches: 1")) << out;
  json j = json::parse(ToJson(p));
  EXPECT_EQ(j["pools"].size(), 2u);
  EXPECT_EQ(j["pools"][1]["state"], "active");
  EXPECT_EQ(j["pools"][1]["index"], 1);
  EXPECT_EQ(j["pools"][0]["index"], 0);  // Zero printed.
  EXPECT_EQ(j["pools"][1]["accepted"], 12);
  EXPECT_EQ(j["switches"], 1);
}

TEST(FormatTest, PoolSplitTableAndJson) {
  v1::PoolsResponse p;
  p.set_split(true);
  p.set_split_level(0);
  p.set_split_window(-1);
  for (int i = 0; i < 2; ++i) {
    v1::PoolStatus* s = p.add_pools();
    s->set_index(i);
    s->set_split(true);
    s->set_weight(i == 0 ? 70 : 30);
    s->set_live(true);
    s->set_target_share(i == 0 ? 0.7 : 0.3);
    s->set_hashes_assigned(i == 0 ? 7'000'000'000'000ull : 3'000'000'000'000ull);
    s->set_assigned_share(i == 0 ? 0.7 : 0.3);
    s->set_verified_work(i == 0 ? 6.9e12 : 3.1e12);
    s->set_work_share(i == 0 ? 0.69 : 0.31);
    s->set_stratum_miners(i == 0 ? 12 : 0);
    s->set_hashes_downstream(i == 0 ? 5'000'000'000'000ull : 0);
  }
  std::string out = FormatPools(p);
  EXPECT_TRUE(Has(out, "split: level 0 mining, base weights")) << out;
  EXPECT_TRUE(Has(out, "ASSIGNED_H")) << out;
  EXPECT_TRUE(Has(out, "    12          5e+12")) << out;  // Miners and their credited hashes.
  EXPECT_TRUE(Has(out, " 70.00%")) << out;
  EXPECT_TRUE(Has(out, " 31.00%")) << out;
  json j = json::parse(ToJson(p));
  EXPECT_TRUE(j["pools"][0]["hashes_assigned"].is_number());  // Not a string.
  EXPECT_EQ(j["pools"][0]["hashes_assigned"], 7'000'000'000'000ull);
  EXPECT_EQ(j["pools"][0]["stratum_miners"], 12);
  EXPECT_EQ(j["pools"][0]["hashes_downstream"], 5'000'000'000'000ull);
  EXPECT_DOUBLE_EQ(j["pools"][1]["target_share"].get<double>(), 0.3);
  EXPECT_EQ(j["split_level"], 0);
  EXPECT_EQ(j["split"], true);
  // Without a split the table has no split section.
  EXPECT_FALSE(Has(FormatPools(v1::PoolsResponse()), "split:"));
}

TEST(FormatTest, DrainAndSwitchPool) {
  v1::DrainResponse d;
  d.set_worker_id("w1");
  d.set_draining(true);
  d.set_units_leased(2);
  EXPECT_TRUE(Has(FormatDrain(d), "w1: draining, 2 units still leased")) << FormatDrain(d);
  json j = json::parse(ToJson(d));
  EXPECT_EQ(j["worker_id"], "w1");
  EXPECT_EQ(j["draining"], true);
  d.set_draining(false);
  EXPECT_TRUE(Has(FormatDrain(d), "leasing again"));

  v1::SwitchPoolResponse r;
  r.set_index(1);
  r.set_url("stratum+tcp://127.0.0.1:4444");
  r.set_added(true);
  EXPECT_EQ(FormatSwitchPool(r), "switched to pool 1 stratum+tcp://127.0.0.1:4444 (added)\n");
  json k = json::parse(ToJson(r));
  EXPECT_EQ(k["index"], 1);
  EXPECT_EQ(k["added"], true);
}

TEST(FormatTest, SparklineScalesAndFits) {
  EXPECT_EQ(Sparkline({}, 10), "");
  EXPECT_EQ(Sparkline({0, 1, 2, 3, 4, 5, 6, 7}, 8), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(Sparkline({0, 0}, 8), "▁▁");
  std::vector<double> many(120, 1.0);
  std::string s = Sparkline(many, 60);
  EXPECT_EQ(s.size(), 60 * std::string("█").size());  // Groups of two averaged.
}

TEST(FormatTest, WatchFrameHasWindowsSparklineAndWorkers) {
  v1::StatusResponse s = SampleStatus();
  for (int i = 0; i < 10; ++i) s.add_history()->set_reported_hps(i * 10e6);
  std::string out = FormatWatch(s, SampleWorkers(), 60);
  EXPECT_TRUE(Has(out, "15 min")) << out;
  EXPECT_TRUE(Has(out, "2.50 GH/s")) << out;
  EXPECT_TRUE(Has(out, "█")) << out;
  EXPECT_TRUE(Has(out, "(10 s, peak 90.00 MH/s)")) << out;
  EXPECT_TRUE(Has(out, "w1")) << out;
  EXPECT_TRUE(Has(out, "50.00 MH/s")) << out;
  EXPECT_FALSE(Has(out, "\033")) << "no terminal codes in a frame";
}

// Every 64-bit integer field, however deep (repeated messages included), is a number; enums
// stay names; values beyond 2^53 keep every digit.
TEST(FormatTest, JsonIntegersAreNumbersAtEveryDepth) {
  v1::StatusResponse s = SampleStatus();
  s.mutable_shares()->set_accepted(uint64_t{1} << 60);
  s.add_history()->set_unix_s(1.5);
  json j = json::parse(ToJson(s));
  EXPECT_EQ(j["shares"]["accepted"].get<uint64_t>(), uint64_t{1} << 60);
  EXPECT_TRUE(j["units_queued"].is_number());
  EXPECT_TRUE(j["share_path_samples"].is_number());
  json w = json::parse(ToJson(SampleWorkers()));
  EXPECT_TRUE(w["workers"][0]["devices"][0]["shares_valid"].is_number());
  EXPECT_TRUE(w["workers"][0]["shares"]["accepted"].is_number());
  json sh = json::parse(ToJson(SampleShares()));
  EXPECT_TRUE(sh["recent"][0]["nonce"].is_number());
  EXPECT_EQ(sh["recent"][0]["state"], "SHARE_STATE_REJECTED");
}

}  // namespace
}  // namespace synth::ctl
