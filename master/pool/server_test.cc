// synth-pool over loopback with a raw line client: every reject code a real pool gives.
#include "master/pool/server.h"

#include <fstream>

#include "common/bitcoin/hex.h"
#include "common/stratum/codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "master/pool/find_share.h"
#include "tests/stratum/line_client.h"

namespace synth::pool {
namespace {

using nlohmann::json;
using stratum::Message;
using stratum::testing::LineClient;

constexpr double kDiff = 1e-5;

class PoolServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PoolOptions o;
    o.listen_port = 0;
    o.difficulty = kDiff;
    o.job_interval_s = 0;
    o.password = "secret";
    o.stats_json = ::testing::TempDir() + "/pool_stats.json";
    absl::StatusOr<std::unique_ptr<PoolServer>> pool = PoolServer::Start(o);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = std::move(*pool);
  }
  // Subscribes and authorizes; returns extranonce1.
  std::vector<uint8_t> Handshake(LineClient& c) {
    std::optional<Message> sub = c.Call(1, "mining.subscribe", json::array({"test/1"}));
    EXPECT_TRUE(sub && !sub->error);
    std::vector<uint8_t> en1 = stratum::ParseSubscribeResult(sub->result)->extranonce1;
    std::optional<Message> auth = c.Call(2, "mining.authorize", json::array({"w", "secret"}));
    EXPECT_TRUE(auth && auth->result == true);
    return en1;
  }
  json ValidShare(const stratum::StratumJob& job, const std::vector<uint8_t>& en1) {
    std::vector<uint8_t> en2 = {0, 0, 0, 7};
    std::optional<uint32_t> n = FindNonce(job, en1, en2, job.version, job.ntime, kDiff);
    EXPECT_TRUE(n.has_value());
    return stratum::MakeSubmitParams({"w", job.job_id, en2, job.ntime, n.value_or(0), std::nullopt});
  }
  static int Code(const std::optional<Message>& m) { return m && m->error ? m->error->code : 0; }

  std::unique_ptr<PoolServer> pool_;
};

TEST_F(PoolServerTest, AcceptsValidThenRejectsDuplicateStaleUnauthorized) {
  LineClient c(pool_->port());
  std::vector<uint8_t> en1 = Handshake(c);
  std::optional<stratum::StratumJob> job = c.LastJob();
  ASSERT_TRUE(job.has_value());
  json share = ValidShare(*job, en1);
  std::optional<Message> r = c.Call(3, "mining.submit", share);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->result, true);
  EXPECT_EQ(Code(c.Call(4, "mining.submit", share)), stratum::kErrDuplicate);
  json other = share;
  other[0] = "intruder";
  EXPECT_EQ(Code(c.Call(5, "mining.submit", other)), stratum::kErrUnauthorized);
  pool_->NewJob(/*clean=*/true);
  EXPECT_EQ(Code(c.Call(6, "mining.submit", share)), stratum::kErrJobNotFound);
  json low = share;
  low[4] = "00000000";
  low[1] = c.LastJob()->job_id;
  int code = Code(c.Call(7, "mining.submit", low));
  EXPECT_TRUE(code == stratum::kErrLowDifficulty || code == 0);
  PoolStats s = pool_->Stats();
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.rejected[stratum::kErrDuplicate], 1u);
  EXPECT_EQ(s.rejected[stratum::kErrJobNotFound], 1u);
  EXPECT_DOUBLE_EQ(s.accepted_work, kDiff);
}

TEST_F(PoolServerTest, NotSubscribedWrongPasswordAndUnknownMethod) {
  LineClient c(pool_->port());
  json share = stratum::MakeSubmitParams({"w", "1", {0, 0, 0, 0}, 1, 2, std::nullopt});
  EXPECT_EQ(Code(c.Call(1, "mining.submit", share)), stratum::kErrNotSubscribed);
  std::optional<Message> auth = c.Call(2, "mining.authorize", json::array({"w", "wrong"}));
  ASSERT_TRUE(auth.has_value());
  EXPECT_EQ(auth->result, false);
  std::optional<Message> unknown = c.Call(3, "mining.bogus", json::array());
  EXPECT_THAT(unknown->error->message, ::testing::HasSubstr("Unknown method"));
}

TEST_F(PoolServerTest, OldJobKeepsItsDifficultyNewJobGetsTheNewOne) {
  LineClient c(pool_->port());
  std::vector<uint8_t> en1 = Handshake(c);
  stratum::StratumJob old_job = *c.LastJob();
  pool_->SetDifficulty(1e6);
  pool_->NewJob(/*clean=*/false);
  ASSERT_TRUE(c.Call(9, "mining.extranonce.subscribe", json::array()).has_value());
  stratum::StratumJob new_job = *c.LastJob();
  ASSERT_NE(new_job.job_id, old_job.job_id);
  EXPECT_EQ(c.Call(3, "mining.submit", ValidShare(old_job, en1))->result, true);
  EXPECT_EQ(Code(c.Call(4, "mining.submit", ValidShare(new_job, en1))), stratum::kErrLowDifficulty);
}

TEST_F(PoolServerTest, VersionRollingNegotiatesTheMaskAndChecksBits) {
  LineClient c(pool_->port());
  stratum::ConfigureParams cp{true, 0x00ffe000, 2, std::nullopt, false};
  std::optional<Message> conf = c.Call(1, "mining.configure", stratum::MakeConfigureParams(cp));
  ASSERT_TRUE(conf.has_value());
  absl::StatusOr<stratum::ConfigureResult> cr = stratum::ParseConfigureResult(conf->result);
  ASSERT_TRUE(cr.ok());
  EXPECT_EQ(cr->version_mask, 0x00ffe000u & 0x1fffe000u);
  Handshake(c);
  json share = stratum::MakeSubmitParams({"w", c.LastJob()->job_id, {0, 0, 0, 1},
                                          c.LastJob()->ntime, 1, 0x10000000});
  std::optional<Message> r = c.Call(5, "mining.submit", share);
  EXPECT_THAT(r->error->message, ::testing::HasSubstr("Invalid version mask"));
}

TEST_F(PoolServerTest, MalformedOrOversizeLineDropsTheClientAndIsCounted) {
  LineClient c(pool_->port());
  c.Send("{this is not json\n");
  EXPECT_FALSE(c.Next().has_value());  // closed
  LineClient d(pool_->port());
  d.Send(std::string(70 * 1024, 'x'));
  EXPECT_FALSE(d.Next().has_value());
  EXPECT_EQ(pool_->Stats().bad_lines, 2u);
  pool_->Stop();
  std::ifstream in(::testing::TempDir() + "/pool_stats.json");
  json stats = json::parse(in, nullptr, false);
  ASSERT_FALSE(stats.is_discarded());
  EXPECT_EQ(stats["bad_lines"], 2);
}

}  // namespace
}  // namespace synth::pool
