// The downstream port over loopback against a fake master core: the handshake, slots and
// extranonce, shares and verdicts, vardiff, limits and bad input.
#include "master/hub/hub.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "master/hub/fake_host.h"
#include "tests/stratum/line_client.h"
#include "tests/wait_for.h"

namespace synth::hub {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using stratum::Message;
using stratum::testing::LineClient;
using synth::testing::WaitFor;

class HubTest : public ::testing::Test {
 protected:
  void Start(HubOptions o = {}) {
    o.listen = "127.0.0.1:0";
    o.sweep_every = absl::Milliseconds(20);
    o.status_every = absl::ZeroDuration();
    absl::StatusOr<std::unique_ptr<StratumHub>> hub = StratumHub::Start(o, &host_);
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = std::move(*hub);
  }
  // Subscribes and authorizes; returns the subscribe result.
  stratum::SubscribeResult Handshake(LineClient& c, const std::string& user = "farm.rig1") {
    std::optional<Message> sub = c.Call(1, "mining.subscribe", json::array({"test-miner/1"}));
    EXPECT_TRUE(sub && !sub->error) << (sub && sub->error ? sub->error->message : "no answer");
    std::optional<Message> auth = c.Call(2, "mining.authorize", json::array({user, "x"}));
    EXPECT_TRUE(auth && auth->result == true);
    return sub ? *stratum::ParseSubscribeResult(sub->result) : stratum::SubscribeResult{};
  }
  static json Share(const std::string& job, uint32_t nonce, const std::string& user = "farm.rig1") {
    return stratum::MakeSubmitParams({user, job, {0, 0, 0, 0, 0, 1}, 0x65000000, nonce,
                                      std::nullopt});
  }
  static int Code(const std::optional<Message>& m) { return m && m->error ? m->error->code : 0; }
  void SetRoute(size_t pool) {
    absl::MutexLock l(&host_.mu_);
    host_.route_to_ = pool;
  }
  size_t LiveSources() {
    absl::MutexLock l(&host_.mu_);
    return host_.live_.size();
  }

  FakeHost host_;
  std::unique_ptr<StratumHub> hub_;
};

TEST_F(HubTest, SubscribeWaitsForTheFirstJobThenGetsItsSlotDifficultyAndJob) {
  Start();
  LineClient c(hub_->port());
  c.Send(stratum::EncodeRequest(1, "mining.subscribe", json::array({"cgminer/4.12"})));
  host_.Job("k1", true);
  std::optional<Message> sub = c.Next();
  ASSERT_TRUE(sub.has_value());
  ASSERT_EQ(sub->IntId(), 1);
  stratum::SubscribeResult r = *stratum::ParseSubscribeResult(sub->result);
  EXPECT_EQ(r.extranonce1, (std::vector<uint8_t>{0xde, 0xad, 0, 1}));  // Pool's, then slot 1.
  EXPECT_EQ(r.extranonce2_size, 6);
  std::optional<Message> diff = c.Next();
  ASSERT_TRUE(diff.has_value());
  EXPECT_EQ(diff->method, "mining.set_difficulty");
  EXPECT_EQ(diff->params[0], 8.0);  // The pool's difficulty to start.
  std::optional<Message> notify = c.Next();
  ASSERT_TRUE(notify.has_value());
  EXPECT_EQ(notify->method, "mining.notify");
  EXPECT_EQ(notify->params[8], true);
  absl::MutexLock l(&host_.mu_);
  ASSERT_EQ(host_.hellos_.size(), 1u);
  EXPECT_EQ(host_.hellos_[0].user_agent, "cgminer/4.12");
}

TEST_F(HubTest, SharesAreJudgedByTheHostAndForwardedOnesAnsweredWithThePoolsVerdict) {
  Start();
  host_.Job("k1", true);
  LineClient c(hub_->port());
  Handshake(c);
  std::string job = c.LastJob()->job_id;
  EXPECT_EQ(c.Call(3, "mining.submit", Share(job, 2))->result, true);  // Local.
  EXPECT_EQ(Code(c.Call(4, "mining.submit", Share(job, 9))), stratum::kErrLowDifficulty);
  c.Send(stratum::EncodeRequest(5, "mining.submit", Share(job, 1)));  // Pool-grade: waits.
  ASSERT_TRUE(WaitFor([&] { return hub_->Stats().shares_forwarded == 1; }));
  {
    absl::MutexLock l(&host_.mu_);
    ASSERT_EQ(host_.shares_.size(), 3u);
    EXPECT_EQ(host_.shares_[2].job_key, "k1");
    EXPECT_EQ(host_.shares_[2].params.extranonce2.size(), 6u);
    EXPECT_DOUBLE_EQ(host_.shares_[2].difficulty, 8);
  }
  host_.Verdict(1, 3, /*accepted=*/false);
  std::optional<Message> v = c.Next();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->IntId(), 5);
  EXPECT_EQ(Code(v), 23);
  HubStats s = hub_->Stats();
  EXPECT_EQ(s.shares_local, 1u);
  EXPECT_EQ(s.shares_refused, 2u);  // The low one and the one the pool refused.
  EXPECT_EQ(s.share_path_samples, 1u);
  // A job id never notified here is 21, decided by the session.
  EXPECT_EQ(Code(c.Call(6, "mining.submit", Share("nope", 2))), stratum::kErrJobNotFound);
}

TEST_F(HubTest, ConfigureIntersectsThePoolsMaskAndTheWorkerNameReachesTheHost) {
  Start();
  host_.Job("k1", true, {0xde, 0xad}, /*mask=*/0x1fffe000);
  LineClient c(hub_->port());
  stratum::ConfigureParams cp{true, 0x00ffff00, 2, std::nullopt, false};
  std::optional<Message> conf = c.Call(1, "mining.configure", stratum::MakeConfigureParams(cp));
  ASSERT_TRUE(conf.has_value());
  EXPECT_EQ(stratum::ParseConfigureResult(conf->result)->version_mask, 0x00ffe000u);
  Handshake(c, "farm.rig7");
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock l(&host_.mu_);
    return host_.names_[1] == "farm.rig7";
  }));
  // The pool's mask narrows: the miner hears at once.
  host_.Job("k2", false, {0xde, 0xad}, /*mask=*/0x00ff0000);
  std::optional<Message> m = c.WaitFor("mining.set_version_mask");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*stratum::ParseSetVersionMaskParams(m->params), 0x00ff0000u);
}

TEST_F(HubTest, ExtranonceChangeGoesToSubscribersAndReconnectsTheOthers) {
  Start();
  host_.Job("k1", true);
  LineClient sub(hub_->port());
  Handshake(sub);
  ASSERT_EQ(sub.Call(3, "mining.extranonce.subscribe", json::array())->result, true);
  LineClient plain(hub_->port());
  Handshake(plain);
  host_.Job("k2", true, {0xbe, 0xef});  // A new pool session.
  std::optional<Message> e = sub.WaitFor("mining.set_extranonce");
  ASSERT_TRUE(e.has_value());
  stratum::Extranonce x = *stratum::ParseSetExtranonceParams(e->params);
  EXPECT_EQ(x.extranonce1, (std::vector<uint8_t>{0xbe, 0xef, 0, 1}));
  EXPECT_TRUE(plain.WaitFor("client.reconnect").has_value());
  EXPECT_TRUE(plain.Closed());
  ASSERT_TRUE(WaitFor([&] { return LiveSources() == 1; }));
}

TEST_F(HubTest, DisplacedSourcesAreReconnectedAndResumeAsksForTheOldSlot) {
  Start();
  host_.Job("k1", true);
  LineClient c(hub_->port());
  stratum::SubscribeResult r = Handshake(c);
  host_.Job("k2", false, {0xde, 0xad}, 0x1fffe000, 8, /*displaced=*/{1});
  EXPECT_TRUE(c.WaitFor("client.reconnect").has_value());
  EXPECT_TRUE(c.Closed());
  LineClient again(hub_->port());
  std::optional<Message> sub = again.Call(
      1, "mining.subscribe", json::array({"test-miner/1", r.session_id}));
  ASSERT_TRUE(sub && !sub->error);
  absl::MutexLock l(&host_.mu_);
  EXPECT_EQ(host_.hellos_.back().resume_slot, 1u);
}

TEST_F(HubTest, WithASplitEachConnectionMinesTheJobsOfThePoolItWasRoutedTo) {
  Start();
  host_.PoolJob(0, "a1", true, {0xaa, 0xaa});
  host_.PoolJob(1, "b1", true, {0xbb, 0xbb});
  auto pool_of = [](const LineClient& c) { return c.LastJob()->coinb1.back(); };
  SetRoute(1);
  LineClient on_b(hub_->port());
  EXPECT_EQ(Handshake(on_b).extranonce1, (std::vector<uint8_t>{0xbb, 0xbb, 0, 1}));
  EXPECT_EQ(pool_of(on_b), 1);
  SetRoute(0);
  LineClient on_a(hub_->port());
  EXPECT_EQ(Handshake(on_a).extranonce1, (std::vector<uint8_t>{0xaa, 0xaa, 0, 2}));
  EXPECT_EQ(pool_of(on_a), 0);
  // A job of pool 0 reaches only pool 0's miner: on_b's next notify is pool 1's next job.
  host_.PoolJob(0, "a2", false, {0xaa, 0xaa});
  ASSERT_TRUE(on_a.WaitFor("mining.notify").has_value());
  EXPECT_EQ(pool_of(on_a), 0);
  host_.PoolJob(1, "b2", false, {0xbb, 0xbb});
  ASSERT_TRUE(on_b.WaitFor("mining.notify").has_value());
  EXPECT_EQ(pool_of(on_b), 1);
  EXPECT_EQ(on_b.LastJob()->clean_jobs, false);
  EXPECT_EQ(on_a.Call(3, "mining.submit", Share(on_a.LastJob()->job_id, 2))->result, true);
  EXPECT_EQ(on_b.Call(3, "mining.submit", Share(on_b.LastJob()->job_id, 2))->result, true);
  // A session id of either pool's extranonce1 names its slot.
  LineClient again(hub_->port());
  ASSERT_TRUE(again.Call(1, "mining.subscribe", json::array({"test-miner/1", "bbbb0001"}))
                  .has_value());
  absl::MutexLock l(&host_.mu_);
  ASSERT_EQ(host_.shares_.size(), 2u);
  EXPECT_EQ(host_.shares_[0].job_key, "a2");
  EXPECT_EQ(host_.shares_[1].job_key, "b2");
  EXPECT_EQ(host_.hellos_.back().resume_slot, 1u);
}

TEST_F(HubTest, AMovedMinerGetsTheNewPoolsExtranonceAndCleanJobOrAReconnect) {
  Start();
  host_.PoolJob(0, "a1", true, {0xaa, 0xaa});
  host_.PoolJob(1, "b1", false, {0xbb, 0xbb});  // Not clean: a moved miner gets it as clean.
  LineClient sub(hub_->port());
  Handshake(sub);
  ASSERT_EQ(sub.Call(3, "mining.extranonce.subscribe", json::array())->result, true);
  LineClient plain(hub_->port());
  Handshake(plain, "farm.rig2");
  host_.Move(1, 1);
  std::optional<Message> e = sub.WaitFor("mining.set_extranonce");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(stratum::ParseSetExtranonceParams(e->params)->extranonce1,
            (std::vector<uint8_t>{0xbb, 0xbb, 0, 1}));  // Pool 1's, then the same slot.
  ASSERT_TRUE(sub.WaitFor("mining.notify").has_value());
  EXPECT_EQ(sub.LastJob()->coinb1.back(), 1);
  EXPECT_TRUE(sub.LastJob()->clean_jobs);
  EXPECT_EQ(sub.Call(4, "mining.submit", Share(sub.LastJob()->job_id, 2))->result, true);
  host_.Move(2, 1);  // No extranonce subscription: reconnected, to be routed again.
  EXPECT_TRUE(plain.WaitFor("client.reconnect").has_value());
  EXPECT_TRUE(plain.Closed());
  ASSERT_TRUE(WaitFor([&] { return LiveSources() == 1; }));
  absl::MutexLock l(&host_.mu_);
  EXPECT_EQ(host_.shares_.back().job_key, "b1");
}

TEST_F(HubTest, ASubscribeRoutedToAPoolWithoutAJobHereYetIsAnsweredByItsFirstJob) {
  Start();
  host_.PoolJob(0, "a1", true, {0xaa, 0xaa});
  SetRoute(1);  // The host knows pool 1's job; its notice is still on the way to the port.
  LineClient c(hub_->port());
  c.Send(stratum::EncodeRequest(1, "mining.subscribe", json::array({"cgminer/4.12"})));
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock l(&host_.mu_);
    return host_.hellos_.size() == 1;
  }));
  host_.PoolJob(1, "b1", true, {0xbb, 0xbb});
  std::optional<Message> sub = c.Next();
  ASSERT_TRUE(sub.has_value());
  ASSERT_EQ(sub->IntId(), 1);
  EXPECT_EQ(stratum::ParseSubscribeResult(sub->result)->extranonce1,
            (std::vector<uint8_t>{0xbb, 0xbb, 0, 1}));
  ASSERT_TRUE(c.WaitFor("mining.notify").has_value());
  EXPECT_EQ(c.LastJob()->coinb1.back(), 1);
}

TEST_F(HubTest, VardiffRaisesTheDifficultyOfAFastMinerUpToThePools) {
  HubOptions o;
  o.vardiff.retarget_every = absl::Milliseconds(300);
  o.start_difficulty = 0.001;
  Start(o);
  host_.Job("k1", true, {0xde, 0xad}, 0, /*pool_difficulty=*/1.0);
  LineClient c(hub_->port());
  Handshake(c);
  std::string job = c.LastJob()->job_id;
  for (int i = 0; i < 20; ++i) ASSERT_EQ(c.Call(10 + i, "mining.submit", Share(job, 2))->result, true);
  std::optional<Message> d = c.WaitFor("mining.set_difficulty");
  ASSERT_TRUE(d.has_value());
  EXPECT_GT(d->params[0].get<double>(), 0.001);
  EXPECT_LE(d->params[0].get<double>(), 1.0);
  // The next job carries it: the host is told the difficulty of its job.
  host_.Job("k2", false, {0xde, 0xad}, 0, 1.0);
  ASSERT_TRUE(c.WaitFor("mining.notify").has_value());
  std::string job2 = c.LastJob()->job_id;
  ASSERT_EQ(c.Call(40, "mining.submit", Share(job2, 2))->result, true);
  absl::MutexLock l(&host_.mu_);
  EXPECT_DOUBLE_EQ(host_.shares_.back().difficulty, d->params[0].get<double>());
  EXPECT_DOUBLE_EQ(host_.shares_.front().difficulty, 0.001);
}

TEST_F(HubTest, PasswordIsCheckedWhenSet) {
  HubOptions o;
  o.password = "farm-secret";
  Start(o);
  host_.Job("k1", true);
  LineClient c(hub_->port());
  ASSERT_TRUE(c.Call(1, "mining.subscribe", json::array()).has_value());
  std::optional<Message> bad = c.Call(2, "mining.authorize", json::array({"w", "guess"}));
  EXPECT_EQ(Code(bad), stratum::kErrUnauthorized);
  EXPECT_EQ(c.Call(3, "mining.authorize", json::array({"w", "farm-secret"}))->result, true);
}

TEST_F(HubTest, PeersOutsideTheAllowListAndOverTheCapAreRefused) {
  HubOptions o;
  o.allow = *AllowList::Parse("10.0.0.0/8");
  Start(o);
  LineClient c(hub_->port());
  EXPECT_TRUE(c.Closed());
  EXPECT_EQ(hub_->Stats().refused_allow, 1u);
  hub_->Shutdown();
  HubOptions one;
  one.max_connections = 1;
  Start(one);
  host_.Job("k1", true);
  LineClient first(hub_->port());
  Handshake(first);
  LineClient second(hub_->port());
  EXPECT_TRUE(second.Closed());
  EXPECT_EQ(hub_->Stats().refused_full, 1u);
}

TEST_F(HubTest, GarbageOversizeSlowlorisAndSilentPeersAreDropped) {
  HubOptions o;
  o.line_timeout = absl::Milliseconds(300);
  o.handshake_timeout = absl::Milliseconds(600);
  Start(o);
  host_.Job("k1", true);
  LineClient garbage(hub_->port());
  garbage.Send("\x16\x03\x01 this is TLS, not JSON\n");
  EXPECT_TRUE(garbage.Closed());
  LineClient big(hub_->port());
  big.Send(std::string(16 * 1024 + 10, 'x'));
  EXPECT_TRUE(big.Closed());
  LineClient slow(hub_->port());
  slow.Send("{\"id\": 1, \"method\": \"mining.subscr");  // ...and never the rest.
  EXPECT_TRUE(slow.Closed());
  LineClient silent(hub_->port());  // Connects, says nothing.
  EXPECT_TRUE(silent.Closed());
  HubStats s = hub_->Stats();
  EXPECT_EQ(s.dropped_bad_input, 2u);
  EXPECT_EQ(s.dropped_timeout, 2u);
  // Everyone else is served.
  LineClient ok(hub_->port());
  Handshake(ok);
}

TEST_F(HubTest, NoFreeSlotIsAnErrorAndRateLimitedSubmitsAreCounted) {
  HubOptions o;
  o.max_requests_per_s = 5;
  Start(o);
  host_.Job("k1", true);
  LineClient c(hub_->port());
  Handshake(c);
  std::string job = c.LastJob()->job_id;
  int limited = 0;
  for (int i = 0; i < 30; ++i) {
    std::optional<Message> r = c.Call(10 + i, "mining.submit", Share(job, 2));
    if (r && r->error && r->error->message == "Rate limited") ++limited;
  }
  EXPECT_GT(limited, 0);
  {
    absl::MutexLock l(&host_.mu_);
    EXPECT_EQ(host_.refused_, limited);
    host_.full_ = true;
  }
  LineClient d(hub_->port());
  std::optional<Message> sub = d.Call(1, "mining.subscribe", json::array());
  EXPECT_THAT(sub->error->message, HasSubstr("no free slot"));
}

TEST_F(HubTest, CleanJobsAreTimedPerConnectionAndShutdownReconnectsEveryone) {
  Start();
  host_.Job("k1", true);
  std::vector<std::unique_ptr<LineClient>> miners;
  for (int i = 0; i < 5; ++i) {
    miners.push_back(std::make_unique<LineClient>(hub_->port()));
    Handshake(*miners.back(), "m" + std::to_string(i));
  }
  host_.Job("k2", true);
  for (auto& m : miners) ASSERT_TRUE(m->WaitFor("mining.notify").has_value());
  ASSERT_TRUE(WaitFor([&] { return hub_->Stats().fanout_connections == 5; }));
  EXPECT_GE(hub_->Stats().fanout_max_ms, 0);
  hub_->Shutdown();
  for (auto& m : miners) {
    EXPECT_TRUE(m->WaitFor("client.reconnect").has_value());
    EXPECT_TRUE(m->Closed());
  }
  EXPECT_EQ(LiveSources(), 0u);
}

}  // namespace
}  // namespace synth::hub
