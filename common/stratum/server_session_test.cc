#include "common/stratum/server_session.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::stratum {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Records what the session writes and asks; answers with configurable policy.
class FakeHost : public ServerSessionHost {
 public:
  void Write(SharedLine line) override { lines.push_back(*line); }
  absl::StatusOr<std::optional<Extranonce>> OnSubscribe(const SubscribeParams& p) override {
    subscribe_params.push_back(p);
    if (!subscribe_error.ok()) return subscribe_error;
    if (defer_subscribe) return std::optional<Extranonce>();
    return std::optional<Extranonce>(Extranonce{{0xaa, 0xbb, 0, 1}, 2});
  }
  void OnSubscribed() override { ++subscribed; }
  bool OnAuthorize(const AuthorizeParams& p) override { return p.pass == "good"; }
  uint32_t ServerVersionMask() const override { return server_mask; }
  void OnDifficultyRequest(double d, bool minimum) override { requests.push_back({d, minimum}); }
  void OnSubmit(SubmitRequest r) override { submits.push_back(std::move(r)); }
  void OnSubmitRefused(const SubmitParams*, int code, bool rate_limited) override {
    refused.push_back({code, rate_limited});
  }

  // Returns every line written since the last call, parsed.
  std::vector<Message> Take() {
    std::vector<Message> out;
    for (const std::string& l : lines) out.push_back(*ParseLine(l.substr(0, l.size() - 1)));
    lines.clear();
    return out;
  }

  std::vector<std::string> lines;
  std::vector<SubscribeParams> subscribe_params;
  std::vector<SubmitRequest> submits;
  std::vector<std::pair<double, bool>> requests;
  std::vector<std::pair<int, bool>> refused;
  absl::Status subscribe_error;
  bool defer_subscribe = false;
  int subscribed = 0;
  uint32_t server_mask = 0x1fffe000;
};

class ServerSessionTest : public ::testing::Test {
 protected:
  absl::Status Send(const json& id, const std::string& method, const json& params) {
    return session_->Feed(EncodeRequest(id, method, params), now_);
  }
  void Handshake() {
    ASSERT_TRUE(Send(1, "mining.subscribe", json::array({"miner/1.0"})).ok());
    ASSERT_TRUE(Send(2, "mining.authorize", json::array({"farm.rig1", "good"})).ok());
    host_.Take();
  }
  // A stand-in mining.notify line (the session passes it on as is).
  SharedLine Line(const std::string& job) {
    return std::make_shared<const std::string>(
        EncodeNotification("mining.notify", json::array({job})));
  }
  static json Submit(const std::string& job, const std::string& user = "farm.rig1") {
    return MakeSubmitParams({user, job, {0, 7}, 0x65000000, 42, std::nullopt});
  }
  static int Code(const Message& m) { return m.error ? m.error->code : 0; }

  FakeHost host_;
  ServerSessionOptions options_;
  std::unique_ptr<ServerSession> session_ = std::make_unique<ServerSession>(options_, &host_);
  absl::Time now_ = absl::FromUnixSeconds(1000000000);
};

TEST_F(ServerSessionTest, SubscribeAnswersExtranonceAndTellsTheHost) {
  ASSERT_TRUE(Send(1, "mining.subscribe", json::array({"cgminer/4.12", "deadbeef"})).ok());
  std::vector<Message> out = host_.Take();
  ASSERT_EQ(out.size(), 1u);
  absl::StatusOr<SubscribeResult> r = ParseSubscribeResult(out[0].result);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->extranonce1, (std::vector<uint8_t>{0xaa, 0xbb, 0, 1}));
  EXPECT_EQ(r->extranonce2_size, 2);
  EXPECT_EQ(r->session_id, "aabb0001");
  EXPECT_EQ(host_.subscribed, 1);
  EXPECT_EQ(host_.subscribe_params[0].session_id, "deadbeef");
  EXPECT_EQ(session_->user_agent(), "cgminer/4.12");
  EXPECT_TRUE(session_->subscribed());
  // A second subscribe on the same connection is refused.
  ASSERT_TRUE(Send(2, "mining.subscribe", json::array({"x"})).ok());
  EXPECT_THAT(host_.Take()[0].error->message, HasSubstr("Already subscribed"));
}

TEST_F(ServerSessionTest, DeferredSubscribeIsAnsweredByCompleteSubscribe) {
  host_.defer_subscribe = true;
  ASSERT_TRUE(Send(7, "mining.subscribe", json::array({"m"})).ok());
  EXPECT_TRUE(host_.Take().empty());
  EXPECT_TRUE(session_->subscribe_pending());
  // Authorize is answered meanwhile; a submit is not subscribed yet.
  ASSERT_TRUE(Send(8, "mining.authorize", json::array({"u", "good"})).ok());
  ASSERT_TRUE(Send(9, "mining.submit", Submit("j1", "u")).ok());
  std::vector<Message> out = host_.Take();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].result, true);
  EXPECT_EQ(Code(out[1]), kErrNotSubscribed);
  session_->CompleteSubscribe(Extranonce{{1, 2}, 4});
  out = host_.Take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].IntId(), 7);
  EXPECT_EQ(ParseSubscribeResult(out[0].result)->extranonce2_size, 4);
  EXPECT_EQ(host_.subscribed, 1);
}

TEST_F(ServerSessionTest, ADeferredSubscribeSentAsANotificationIsNeverAnswered) {
  host_.defer_subscribe = true;  // Found by the session fuzzer: it was answered under id 0.
  ASSERT_TRUE(session_->Feed(EncodeNotification("mining.subscribe", json::array()), now_).ok());
  EXPECT_TRUE(session_->subscribe_pending());
  session_->CompleteSubscribe(Extranonce{{1, 2}, 4});
  EXPECT_TRUE(host_.Take().empty());
  EXPECT_TRUE(session_->subscribed());
  EXPECT_EQ(host_.subscribed, 1);
}

TEST_F(ServerSessionTest, SubscribeErrorIsAnsweredWithItsMessage) {
  host_.subscribe_error = absl::UnavailableError("no upstream work yet");
  ASSERT_TRUE(Send(1, "mining.subscribe", json::array()).ok());
  std::vector<Message> out = host_.Take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(Code(out[0]), kErrOther);
  EXPECT_THAT(out[0].error->message, HasSubstr("no upstream work yet"));
  EXPECT_FALSE(session_->subscribed());
}

TEST_F(ServerSessionTest, ConfigureIntersectsMasksAndPassesTheMinimumDifficulty) {
  ConfigureParams cp{true, 0x00ffe000, 2, 0.5, true};
  ASSERT_TRUE(Send(1, "mining.configure", MakeConfigureParams(cp)).ok());
  std::vector<Message> out = host_.Take();
  absl::StatusOr<ConfigureResult> r = ParseConfigureResult(out[0].result);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->version_rolling);
  EXPECT_EQ(r->version_mask, 0x00ffe000u & 0x1fffe000u);
  EXPECT_TRUE(r->minimum_difficulty);
  EXPECT_TRUE(r->subscribe_extranonce);
  EXPECT_EQ(session_->version_mask(), 0x00ffe000u & 0x1fffe000u);
  EXPECT_TRUE(session_->extranonce_subscribed());
  ASSERT_EQ(host_.requests.size(), 1u);
  EXPECT_EQ(host_.requests[0], std::make_pair(0.5, true));
  // A new server mask is sent at once; the same mask again sends nothing.
  session_->UpdateVersionMask(0x00ff0000);
  out = host_.Take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].method, "mining.set_version_mask");
  EXPECT_EQ(*ParseSetVersionMaskParams(out[0].params), 0x00ff0000u);
  session_->UpdateVersionMask(0x00ff0000);
  EXPECT_TRUE(host_.Take().empty());
}

TEST_F(ServerSessionTest, ServerWithoutRollingRefusesItAndNeverSendsAMask) {
  host_.server_mask = 0;
  ConfigureParams cp{true, 0x1fffe000, 2, std::nullopt, false};
  ASSERT_TRUE(Send(1, "mining.configure", MakeConfigureParams(cp)).ok());
  EXPECT_FALSE(ParseConfigureResult(host_.Take()[0].result)->version_rolling);
  EXPECT_EQ(session_->version_mask(), 0u);
  // Without a configure at all, a new server mask sends nothing.
  FakeHost other;
  ServerSession plain({}, &other);
  plain.UpdateVersionMask(0x1fffe000);
  EXPECT_TRUE(other.lines.empty());
}

TEST_F(ServerSessionTest, SubmitChecksInOrderAndCarriesTheTermsOfItsJob) {
  ASSERT_TRUE(Send(1, "mining.submit", json::array({"x"})).ok());  // bad params
  ASSERT_TRUE(Send(2, "mining.submit", Submit("j1")).ok());        // not subscribed
  std::vector<Message> out = host_.Take();
  Handshake();
  ASSERT_TRUE(Send(3, "mining.submit", Submit("j1", "intruder")).ok());
  ASSERT_TRUE(Send(4, "mining.submit", Submit("j1")).ok());  // never notified
  for (Message& m : host_.Take()) out.push_back(std::move(m));
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(Code(out[0]), kErrOther);
  EXPECT_EQ(Code(out[1]), kErrNotSubscribed);
  EXPECT_EQ(Code(out[2]), kErrUnauthorized);
  EXPECT_EQ(Code(out[3]), kErrJobNotFound);
  EXPECT_EQ(host_.refused.size(), 4u);
  session_->SendDifficulty(0.25);
  session_->SendNotify("j1", true, Line("j1"));
  session_->SendDifficulty(4);  // Applies to the next job only.
  ASSERT_TRUE(Send(5, "mining.submit", Submit("j1")).ok());
  ASSERT_EQ(host_.submits.size(), 1u);
  EXPECT_DOUBLE_EQ(host_.submits[0].terms.difficulty, 0.25);
  EXPECT_EQ(host_.submits[0].terms.extranonce2_size, 2);
  EXPECT_EQ(host_.submits[0].params.nonce, 42u);
  EXPECT_EQ(session_->pending_submits(), 1u);
  host_.Take();
  session_->AnswerSubmit(host_.submits[0].id, std::nullopt);
  out = host_.Take();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].IntId(), 5);
  EXPECT_EQ(out[0].result, true);
  EXPECT_EQ(session_->pending_submits(), 0u);
  // A clean job forgets j1.
  session_->SendNotify("j2", true, Line("j2"));
  ASSERT_TRUE(Send(6, "mining.submit", Submit("j1")).ok());
  EXPECT_EQ(Code(host_.Take().back()), kErrJobNotFound);
}

TEST_F(ServerSessionTest, PendingSubmitLimitRefusesTheExcess) {
  options_.max_pending_submits = 2;
  session_ = std::make_unique<ServerSession>(options_, &host_);
  Handshake();
  session_->SendNotify("j1", true, Line("j"));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Send(10 + i, "mining.submit", Submit("j1")).ok());
  EXPECT_EQ(host_.submits.size(), 2u);
  ASSERT_EQ(host_.refused.size(), 1u);
  EXPECT_TRUE(host_.refused[0].second);
  EXPECT_THAT(host_.Take().back().error->message, HasSubstr("Too many pending submits"));
}

TEST_F(ServerSessionTest, RequestRateLimitAnswersTheExcessAndRefills) {
  options_.max_requests_per_s = 5;
  options_.request_burst_s = 1;
  session_ = std::make_unique<ServerSession>(options_, &host_);
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(Send(i + 1, "mining.extranonce.subscribe", json::array()).ok());
  std::vector<Message> out = host_.Take();
  ASSERT_EQ(out.size(), 7u);
  EXPECT_EQ(out[4].result, true);
  EXPECT_THAT(out[5].error->message, HasSubstr("Rate limited"));
  ASSERT_TRUE(Send(20, "mining.submit", Submit("j1")).ok());
  ASSERT_EQ(host_.refused.size(), 1u);
  EXPECT_TRUE(host_.refused[0].second);
  host_.Take();
  now_ += absl::Seconds(1);
  ASSERT_TRUE(Send(21, "mining.extranonce.subscribe", json::array()).ok());
  EXPECT_EQ(host_.Take()[0].result, true);
}

TEST_F(ServerSessionTest, OversizeAndGarbageLinesAreErrors) {
  options_.max_line = 16 * 1024;
  session_ = std::make_unique<ServerSession>(options_, &host_);
  absl::Status s = session_->Feed(std::string(16 * 1024 + 1, 'x'), now_);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  ServerSession other({}, &host_);
  EXPECT_EQ(other.Feed("{nope\n", now_).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(other.Feed("[1,2]\n", now_).code(), absl::StatusCode::kInvalidArgument);
  // Bytes of an unfinished line are held, not handled.
  ServerSession partial({}, &host_);
  ASSERT_TRUE(partial.Feed("{\"id\":1,", now_).ok());
  EXPECT_EQ(partial.partial_bytes(), 8u);
}

TEST_F(ServerSessionTest, ExtranonceIsSentOnlyToSubscribersAndAppliesToTheNextJob) {
  Handshake();
  EXPECT_FALSE(session_->SendExtranonce({{9, 9}, 3}));
  EXPECT_TRUE(host_.Take().empty());
  ASSERT_TRUE(Send(3, "mining.extranonce.subscribe", json::array()).ok());
  session_->SendNotify("j1", true, Line("j"));
  EXPECT_TRUE(session_->SendExtranonce({{9, 9}, 3}));
  session_->SendNotify("j2", false, Line("j"));
  std::vector<Message> out = host_.Take();
  ASSERT_EQ(out.size(), 4u);  // The subscribe answer, j1, set_extranonce, j2.
  EXPECT_EQ(out[2].method, "mining.set_extranonce");
  ASSERT_EQ(session_->terms().size(), 2u);
  EXPECT_EQ(session_->terms()[0].second.extranonce2_size, 2);
  EXPECT_EQ(session_->terms()[1].second.extranonce2_size, 3);
  EXPECT_EQ(session_->terms()[1].second.extranonce1, (std::vector<uint8_t>{9, 9}));
}

TEST_F(ServerSessionTest, TermsAreBoundedAndUsersCapped) {
  options_.keep_terms = 3;
  session_ = std::make_unique<ServerSession>(options_, &host_);
  Handshake();
  for (int i = 0; i < 10; ++i) session_->SendNotify(std::to_string(i), false, Line("j"));
  ASSERT_EQ(session_->terms().size(), 3u);
  EXPECT_EQ(session_->terms().front().first, "7");
  host_.Take();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Send(100 + i, "mining.authorize", json::array({"u" + std::to_string(i), "good"})).ok());
  }
  std::vector<Message> out = host_.Take();
  EXPECT_EQ(out[14].result, true);  // 15 more after farm.rig1: 16 in all.
  EXPECT_EQ(Code(out[15]), kErrUnauthorized);
  EXPECT_EQ(session_->first_user(), "farm.rig1");
  // A wrong password is 24 too, and a suggestion reaches the host.
  ASSERT_TRUE(Send(200, "mining.authorize", json::array({"x", "bad"})).ok());
  ASSERT_TRUE(Send(201, "mining.suggest_difficulty", json::array({2048})).ok());
  out = host_.Take();
  EXPECT_EQ(Code(out[0]), kErrUnauthorized);
  EXPECT_EQ(out[1].result, true);
  EXPECT_EQ(host_.requests.back(), std::make_pair(2048.0, false));
}

}  // namespace
}  // namespace synth::stratum
