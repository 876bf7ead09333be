// The session logic without a network: scripted pool lines in, client lines out.
#include "master/stratum/session.h"

#include "common/bitcoin/hex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::stratum {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class FakeDelegate : public Session::Delegate {
 public:
  void SendLine(std::string line) override {
    absl::StatusOr<Message> m = ParseLine(line.substr(0, line.size() - 1));
    ASSERT_TRUE(m.ok()) << line;
    sent.push_back(*m);
  }
  void OnReady() override { ++ready; }
  void OnJob(const ClientJob& job) override { jobs.push_back(job); }
  void OnReconnect(const ReconnectParams& p) override { reconnects.push_back(p); }
  void OnShowMessage(const std::string& text) override { messages.push_back(text); }
  const Message* Sent(const std::string& method) const {
    for (const Message& m : sent) if (m.method == method) return &m;
    return nullptr;
  }
  std::vector<Message> sent;
  std::vector<ClientJob> jobs;
  std::vector<ReconnectParams> reconnects;
  std::vector<std::string> messages;
  int ready = 0;
};

std::string Notify(const std::string& id, bool clean, uint32_t version = 0x20000000) {
  StratumJob j;
  j.job_id = id;
  j.coinb1 = {1, 2};
  j.coinb2 = {3};
  j.version = version;
  j.nbits = 0x1d00ffff;
  j.ntime = 0x60000000;
  j.clean_jobs = clean;
  return EncodeNotification("mining.notify", ToNotifyParams(j));
}

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() : session_(Config(), &d_, 1, "stratum+tcp://pool:3333") {}
  static SessionConfig Config() {
    SessionConfig c;
    c.user = "alice.w1";
    c.pass = "hunter2";
    c.suggest_difficulty = 4;
    return c;
  }
  absl::Status Feed(const std::string& line) {
    return session_.OnLine(line.back() == '\n' ? line.substr(0, line.size() - 1) : line, now_);
  }
  int64_t IdOf(const std::string& method) { return *d_.Sent(method)->IntId(); }
  void Handshake(const std::string& mask = "1fffe000") {
    session_.Begin(now_);
    json conf = {{"version-rolling", true}, {"version-rolling.mask", mask}};
    ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.configure"), conf)).ok());
    SubscribeResult sub{{{"mining.notify", "sid1"}}, "", {0xde, 0xad, 0xbe, 0xef}, 4};
    ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.subscribe"), MakeSubscribeResult(sub))).ok());
    ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.authorize"), true)).ok());
  }
  absl::Time now_ = absl::FromUnixSeconds(1000);
  FakeDelegate d_;
  Session session_;
};

TEST_F(SessionTest, HandshakeOrderAndValues) {
  Handshake();
  ASSERT_GE(d_.sent.size(), 5u);
  EXPECT_EQ(d_.sent[0].method, "mining.configure");  // BIP 310: first.
  EXPECT_EQ(d_.sent[1].method, "mining.subscribe");
  EXPECT_EQ(d_.sent[2].method, "mining.authorize");
  EXPECT_EQ(d_.sent[3].method, "mining.suggest_difficulty");
  EXPECT_EQ(d_.sent[4].method, "mining.extranonce.subscribe");  // After the authorize answer.
  EXPECT_EQ(d_.ready, 1);
  EXPECT_TRUE(session_.ready());
  EXPECT_EQ(session_.session_id(), "sid1");
  EXPECT_EQ(session_.version_mask(), 0x1fffe000u);
}

// ckpool ignores every request of a client that is not authorized yet ("Rejecting
// mining.extranonce.subscribe from unauthorised client") and never answers it.
TEST_F(SessionTest, ExtranonceSubscribeIsSentOnlyOnceAuthorizeSucceeded) {
  session_.Begin(now_);
  SubscribeResult sub{{{"mining.notify", "sid1"}}, "", {0xde, 0xad, 0xbe, 0xef}, 4};
  ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.subscribe"), MakeSubscribeResult(sub))).ok());
  EXPECT_EQ(d_.Sent("mining.extranonce.subscribe"), nullptr);
  EXPECT_EQ(session_.extranonce_updates(), Session::ExtranonceUpdates::kNotAsked);
  ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.authorize"), true)).ok());
  ASSERT_NE(d_.Sent("mining.extranonce.subscribe"), nullptr);
  EXPECT_EQ(session_.extranonce_updates(), Session::ExtranonceUpdates::kAsked);
  ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.extranonce.subscribe"), true)).ok());
  EXPECT_EQ(session_.extranonce_updates(), Session::ExtranonceUpdates::kOn);
}

TEST_F(SessionTest, ARefusedAuthorizeSendsNoExtranonceSubscribe) {
  session_.Begin(now_);
  absl::Status s = Feed(EncodeResponse(IdOf("mining.authorize"), false));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(d_.Sent("mining.extranonce.subscribe"), nullptr);
}

TEST_F(SessionTest, APoolThatNeverAnswersExtranonceSubscribeIsOneWithoutTheExtension) {
  Handshake();
  ASSERT_NE(d_.Sent("mining.extranonce.subscribe"), nullptr);
  ASSERT_TRUE(Feed(Notify("a", true)).ok());
  // The other handshake requests are answered; only the extranonce subscription stays open.
  ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.suggest_difficulty"), true)).ok());
  ASSERT_TRUE(session_.Tick(now_ + absl::Seconds(9)).ok());
  EXPECT_EQ(session_.extranonce_updates(), Session::ExtranonceUpdates::kAsked);
  absl::Time later = now_ + absl::Seconds(11);
  ASSERT_TRUE(Feed(Notify("b", false)).ok());  // Keeps the stall clock fresh.
  EXPECT_TRUE(session_.Tick(later).ok()) << "not a reason to drop the connection";
  EXPECT_EQ(session_.extranonce_updates(), Session::ExtranonceUpdates::kUnsupported);
  EXPECT_TRUE(session_.ready());
}

TEST_F(SessionTest, AnExtranonceSubscribeAnsweredWithAnErrorMeansNoUpdates) {
  Handshake();
  ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.extranonce.subscribe"), nullptr,
                                  RpcError{20, "Method not found", ""}))
                  .ok());
  EXPECT_EQ(session_.extranonce_updates(), Session::ExtranonceUpdates::kUnsupported);
  EXPECT_TRUE(session_.ready());
}

TEST_F(SessionTest, DifficultyAndExtranonceApplyToLaterJobsOnly) {
  Handshake();
  ASSERT_TRUE(Feed(EncodeNotification("mining.set_difficulty", json::array({0.5}))).ok());
  ASSERT_TRUE(Feed(Notify("a", true)).ok());
  ASSERT_TRUE(Feed(EncodeNotification("mining.set_difficulty", json::array({8}))).ok());
  ASSERT_TRUE(Feed(EncodeNotification("mining.set_extranonce", json::array({"01020304", 2}))).ok());
  ASSERT_TRUE(Feed(Notify("b", false)).ok());
  ASSERT_EQ(d_.jobs.size(), 2u);
  EXPECT_DOUBLE_EQ(d_.jobs[0].difficulty, 0.5);
  EXPECT_EQ(d_.jobs[0].extranonce1, (std::vector<uint8_t>{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(d_.jobs[0].extranonce2_size, 4);
  EXPECT_DOUBLE_EQ(d_.jobs[1].difficulty, 8);
  EXPECT_EQ(d_.jobs[1].extranonce1, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(d_.jobs[1].extranonce2_size, 2);
  EXPECT_FALSE(d_.jobs[1].job.clean_jobs);
  EXPECT_TRUE(session_.KnowsJob("a"));
  ASSERT_TRUE(Feed(Notify("c", true)).ok());
  EXPECT_FALSE(session_.KnowsJob("a"));
}

TEST_F(SessionTest, SubmitSendsMaskedVersionBitsAndCountsTheVerdict) {
  Handshake("00ffe000");  // The pool narrows our mask.
  ASSERT_TRUE(Feed(Notify("a", true)).ok());
  std::vector<SubmitResult> results;
  ClientShare share{"a", {0, 0, 0, 1}, 0x60000001, 42, 0x2fffe000};
  session_.Submit(share, [&](const SubmitResult& r) { results.push_back(r); }, now_);
  const Message& submit = d_.sent.back();
  ASSERT_EQ(submit.params.size(), 6u);
  EXPECT_EQ(submit.params[0], "alice.w1");
  EXPECT_EQ(submit.params[5], "00ffe000");  // rolled & mask
  ASSERT_TRUE(Feed(EncodeResponse(*submit.IntId(), false, RpcError{23, "Low difficulty share", ""})).ok());
  session_.Submit(share, [&](const SubmitResult& r) { results.push_back(r); }, now_);
  ASSERT_TRUE(Feed(EncodeResponse(*d_.sent.back().IntId(), nullptr, RpcError{21, "Job not found", ""})).ok());
  session_.Submit(share, [&](const SubmitResult& r) { results.push_back(r); }, now_);
  ASSERT_TRUE(Feed(R"({"id":)" + std::to_string(*d_.sent.back().IntId()) + R"(,"result":true,"error":null})").ok());
  session_.Submit(share, [&](const SubmitResult& r) { results.push_back(r); }, now_);
  // An unanswered submit makes the connection count as dead; the share stays pending for the
  // client to resend on a resumed session (never counted rejected).
  EXPECT_EQ(session_.Tick(now_ + absl::Seconds(31)).code(), absl::StatusCode::kDeadlineExceeded);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(session_.pending_submits(), 1u);
  std::vector<Session::Unanswered> lost = session_.TakePendingSubmits();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].share.nonce, share.nonce);
  EXPECT_EQ(results[0].outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(results[0].code, 23);
  EXPECT_EQ(results[1].outcome, SubmitOutcome::kStale);
  EXPECT_EQ(results[2].outcome, SubmitOutcome::kAccepted);
  EXPECT_EQ(session_.pending_submits(), 0u);
}

TEST_F(SessionTest, StalledPoolFailsTickAfterStallTimeoutAndAnyLineResetsTheClock) {
  Handshake();
  ASSERT_TRUE(Feed(Notify("a", true)).ok());
  EXPECT_TRUE(session_.Tick(now_ + absl::Seconds(89)).ok());
  now_ += absl::Seconds(80);
  ASSERT_TRUE(Feed(Notify("b", false)).ok());  // Any line from the pool resets the stall clock.
  EXPECT_TRUE(session_.Tick(now_ + absl::Seconds(89)).ok());
  absl::Status s = session_.Tick(now_ + absl::Seconds(91));
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("stalled"), std::string::npos);
}

TEST_F(SessionTest, NoVersionBitsWhenConfigureRefused) {
  session_.Begin(now_);
  ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.configure"), nullptr, RpcError{20, "Unknown method", ""})).ok());
  SubscribeResult sub{{}, "", {1}, 4};
  ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.subscribe"), MakeSubscribeResult(sub))).ok());
  ASSERT_TRUE(Feed(EncodeResponse(IdOf("mining.authorize"), true)).ok());
  ASSERT_TRUE(Feed(Notify("a", true)).ok());
  EXPECT_EQ(d_.jobs[0].version_mask, 0u);
  session_.Submit(ClientShare{"a", {0, 0, 0, 1}, 1, 2, 0x20002000}, [](const SubmitResult&) {}, now_);
  EXPECT_EQ(d_.sent.back().params.size(), 5u);
}

TEST_F(SessionTest, BadInputDropsOrIsIgnoredAsARobustClientWould) {
  Handshake();
  EXPECT_TRUE(Feed(R"({"id":999,"result":true,"error":null})").ok());  // unknown id: ignored
  EXPECT_EQ(session_.unknown_responses(), 1u);
  EXPECT_TRUE(Feed(EncodeNotification("mining.frobnicate", json::array())).ok());
  EXPECT_TRUE(Feed(EncodeNotification("client.reconnect", json::array({"h", "port?"}))).ok());
  EXPECT_TRUE(d_.reconnects.empty());
  for (const std::string& bad : {std::string("{garbage"),
                                 EncodeNotification("mining.set_difficulty", json::array({-1})),
                                 EncodeNotification("mining.set_difficulty", json::array({"NaN"})),
                                 EncodeNotification("mining.set_extranonce", json::array({"zz", 4})),
                                 EncodeNotification("mining.set_extranonce", json::array({"00", 12})),
                                 EncodeNotification("mining.notify", json::array({"a", "bad"}))}) {
    EXPECT_FALSE(Feed(bad).ok()) << bad;
  }
}

TEST_F(SessionTest, AbsurdExtranonce2SizeOrRefusedAuthorizeFailTheSession) {
  session_.Begin(now_);
  SubscribeResult sub{{}, "", {1}, 16};
  EXPECT_THAT(std::string(Feed(EncodeResponse(IdOf("mining.subscribe"), MakeSubscribeResult(sub))).message()),
              HasSubstr("over 8"));
  absl::Status auth = Feed(EncodeResponse(IdOf("mining.authorize"), false));
  EXPECT_EQ(auth.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(auth.message()), ::testing::Not(HasSubstr("hunter2")));
  EXPECT_EQ(session_.Tick(now_ + absl::Seconds(11)).code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(SessionTest, ReconnectShowMessageGetVersion) {
  Handshake();
  ASSERT_TRUE(Feed(EncodeNotification("client.reconnect", json::array({"eu.pool", 3334, 2}))).ok());
  ASSERT_EQ(d_.reconnects.size(), 1u);
  EXPECT_EQ(d_.reconnects[0].port, 3334);
  ASSERT_TRUE(Feed(EncodeNotification("client.show_message", json::array({"hello"}))).ok());
  EXPECT_EQ(d_.messages, std::vector<std::string>{"hello"});
  ASSERT_TRUE(Feed(EncodeRequest(77, "client.get_version", json::array())).ok());
  EXPECT_EQ(d_.sent.back().result, "synth/0.1");
  EXPECT_EQ(d_.sent.back().IntId(), 77);
}

TEST_F(SessionTest, ResumeSendsSessionIdAndDetectsSuccess) {
  SessionConfig c = Config();
  c.resume_session_id = "sid1";
  c.resume_extranonce1 = {0xde, 0xad, 0xbe, 0xef};
  FakeDelegate d;
  Session s(c, &d, 2, "u");
  s.Begin(now_);
  const Message* sub = d.Sent("mining.subscribe");
  ASSERT_EQ(sub->params.size(), 2u);
  EXPECT_EQ(sub->params[1], "sid1");
  SubscribeResult r{{{"mining.notify", "sid1"}}, "", {0xde, 0xad, 0xbe, 0xef}, 4};
  ASSERT_TRUE(s.OnLine(EncodeResponse(*sub->IntId(), MakeSubscribeResult(r)), now_).ok());
  EXPECT_TRUE(s.resumed());
}

}  // namespace
}  // namespace synth::stratum

namespace synth::stratum {
namespace {

TEST(SessionClockTest, NoHandshakeTimeoutBeforeBegin) {
  FakeDelegate d;
  Session s(SessionConfig{}, &d, 1, "u");
  EXPECT_TRUE(s.Tick(absl::Now()).ok());  // Not connected yet: the transport times connects.
  s.Begin(absl::FromUnixSeconds(1000));
  EXPECT_FALSE(s.Tick(absl::FromUnixSeconds(1011)).ok());
}

}  // namespace
}  // namespace synth::stratum
