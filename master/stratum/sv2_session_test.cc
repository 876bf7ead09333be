// The SV2 session without a network: scripted pool messages in, client messages out.
#include "master/stratum/sv2_session.h"

#include "common/sv2/target.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::stratum {
namespace {

using ::testing::HasSubstr;
namespace m = sv2;

class FakeDelegate : public Sv2Session::Delegate {
 public:
  void SendFrame(sv2::Frame frame) override {
    absl::StatusOr<sv2::Message> msg = sv2::DecodeMessage(frame);
    ASSERT_TRUE(msg.ok()) << msg.status();
    sent.push_back(*msg);
  }
  void OnReady() override { ++ready; }
  void OnJob(const ClientJob& job) override { jobs.push_back(job); }
  void OnReconnect(const ReconnectParams& p) override { reconnects.push_back(p); }
  template <typename T>
  std::vector<T> Sent() const {
    std::vector<T> out;
    for (const sv2::Message& msg : sent) {
      if (const T* t = std::get_if<T>(&msg)) out.push_back(*t);
    }
    return out;
  }
  std::vector<sv2::Message> sent;
  std::vector<ClientJob> jobs;
  std::vector<ReconnectParams> reconnects;
  int ready = 0;
};

sv2::U256 TargetFor(double difficulty) { return *sv2::TargetForDifficulty(difficulty); }

sv2::NewExtendedMiningJob Job(uint32_t id, std::optional<uint32_t> min_ntime, bool rolling = true) {
  sv2::NewExtendedMiningJob j;
  j.channel_id = 7;
  j.job_id = id;
  j.min_ntime = min_ntime;
  j.version = 0x20000000;
  j.version_rolling_allowed = rolling;
  sv2::U256 h;
  h.fill(static_cast<uint8_t>(id));
  j.merkle_path = {h};
  j.coinbase_tx_prefix = {1, 2, 3};
  j.coinbase_tx_suffix = {4, 5};
  return j;
}

sv2::SetNewPrevHash PrevHash(uint32_t job_id, uint32_t ntime = 1700000000) {
  sv2::SetNewPrevHash p;
  p.channel_id = 7;
  p.job_id = job_id;
  p.prev_hash.fill(0xab);
  p.min_ntime = ntime;
  p.nbits = 0x1703a30c;
  return p;
}

class Sv2SessionTest : public ::testing::Test {
 protected:
  Sv2SessionTest() : session_(Config(), &d_, 3, "stratum2+tcp://pool:3336/KEY") {}
  static Sv2SessionConfig Config() {
    Sv2SessionConfig c;
    c.user = "alice.rig1";
    c.endpoint_host = "pool";
    c.endpoint_port = 3336;
    c.nominal_hash_rate = 1e9;
    return c;
  }
  absl::Status Feed(const sv2::Message& msg) {
    absl::StatusOr<sv2::Frame> f = sv2::EncodeMessage(msg);
    EXPECT_TRUE(f.ok());
    return session_.OnFrame(*f, now_);
  }
  // Setup and channel opening, answered as a pool would.
  void Open(uint16_t extranonce_size = 4, uint32_t setup_flags = 0) {
    session_.Begin(now_);
    ASSERT_TRUE(Feed(m::SetupConnectionSuccess{2, setup_flags}).ok());
    ASSERT_TRUE(Feed(m::OpenExtendedMiningChannelSuccess{
                         1, 7, TargetFor(0.5), extranonce_size, {0xe1, 0xe2}, 70})
                    .ok());
    ASSERT_TRUE(session_.ready());
  }
  void FirstJob() {
    ASSERT_TRUE(Feed(Job(1, std::nullopt)).ok());
    ASSERT_TRUE(Feed(PrevHash(1)).ok());
    ASSERT_EQ(d_.jobs.size(), 1u);
  }
  SubmitResult SubmitAndAnswer(const ClientShare& s, const sv2::Message& answer) {
    std::optional<SubmitResult> r;
    session_.Submit(
        s, [&](const SubmitResult& res) { r = res; }, now_);
    EXPECT_FALSE(r.has_value());
    EXPECT_TRUE(Feed(answer).ok());
    EXPECT_TRUE(r.has_value());
    return r.value_or(SubmitResult{});
  }
  static ClientShare Share(const std::string& job_id, uint8_t en2 = 1) {
    return ClientShare{job_id, {en2, 0, 0, 0}, 1700000000, 0x1234, 0x20002000};
  }

  FakeDelegate d_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  Sv2Session session_;
};

TEST_F(Sv2SessionTest, SetupThenExtendedChannel) {
  session_.Begin(now_);
  std::vector<m::SetupConnection> setup = d_.Sent<m::SetupConnection>();
  ASSERT_EQ(setup.size(), 1u);
  EXPECT_EQ(setup[0].protocol, 0);
  EXPECT_EQ(setup[0].min_version, 2);
  EXPECT_EQ(setup[0].max_version, 2);
  EXPECT_EQ(setup[0].flags, m::kRequiresVersionRolling);
  EXPECT_EQ(setup[0].endpoint_host, "pool");
  EXPECT_EQ(setup[0].endpoint_port, 3336);
  EXPECT_EQ(setup[0].vendor, "synth");
  EXPECT_TRUE(d_.Sent<m::OpenExtendedMiningChannel>().empty());
  ASSERT_TRUE(Feed(m::SetupConnectionSuccess{2, 0}).ok());
  std::vector<m::OpenExtendedMiningChannel> open = d_.Sent<m::OpenExtendedMiningChannel>();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].user_identity, "alice.rig1");
  EXPECT_EQ(open[0].min_extranonce_size, 4);
  EXPECT_EQ(open[0].nominal_hash_rate, 1e9f);
  EXPECT_EQ(open[0].max_target, sv2::MaxTarget());
  EXPECT_FALSE(session_.ready());
  ASSERT_TRUE(
      Feed(m::OpenExtendedMiningChannelSuccess{1, 7, TargetFor(0.5), 4, {0xe1, 0xe2}, 70}).ok());
  EXPECT_TRUE(session_.ready());
  EXPECT_EQ(d_.ready, 1);
  EXPECT_EQ(session_.channel_id(), 7u);
  EXPECT_EQ(session_.extranonce1(), (std::vector<uint8_t>{0xe1, 0xe2}));
  EXPECT_DOUBLE_EQ(session_.difficulty(), 0.5);
}

TEST_F(Sv2SessionTest, FutureJobBecomesACleanClientJobOnItsPrevHash) {
  Open();
  ASSERT_TRUE(Feed(Job(1, std::nullopt)).ok());
  EXPECT_TRUE(d_.jobs.empty());  // Waits for its prev hash.
  EXPECT_FALSE(session_.KnowsJob("1"));
  ASSERT_TRUE(Feed(PrevHash(1)).ok());
  ASSERT_EQ(d_.jobs.size(), 1u);
  const ClientJob& j = d_.jobs[0];
  EXPECT_EQ(j.job.job_id, "1");
  EXPECT_TRUE(j.job.clean_jobs);
  EXPECT_EQ(j.job.coinb1, (std::vector<uint8_t>{1, 2, 3}));
  EXPECT_EQ(j.job.coinb2, (std::vector<uint8_t>{4, 5}));
  EXPECT_EQ(j.extranonce1, (std::vector<uint8_t>{0xe1, 0xe2}));
  EXPECT_EQ(j.extranonce2_size, 4);
  ASSERT_EQ(j.job.merkle_branch.size(), 1u);
  EXPECT_EQ(j.job.merkle_branch[0][0], 1);
  EXPECT_EQ(j.job.prev_hash[0], 0xab);
  EXPECT_EQ(j.job.version, 0x20000000u);
  EXPECT_EQ(j.job.nbits, 0x1703a30cu);
  EXPECT_EQ(j.job.ntime, 1700000000u);
  EXPECT_DOUBLE_EQ(j.difficulty, 0.5);
  EXPECT_EQ(j.version_mask, 0x1fffe000u);
  EXPECT_EQ(j.connection, 3u);
  EXPECT_EQ(j.pool_url, "stratum2+tcp://pool:3336/KEY");
  EXPECT_TRUE(session_.KnowsJob("1"));
}

TEST_F(Sv2SessionTest, ActiveJobsRunBesideEarlierOnesUntilTheNextPrevHash) {
  Open();
  FirstJob();
  ASSERT_TRUE(Feed(Job(2, 1700000005)).ok());
  ASSERT_EQ(d_.jobs.size(), 2u);
  EXPECT_FALSE(d_.jobs[1].job.clean_jobs);
  EXPECT_EQ(d_.jobs[1].job.ntime, 1700000005u);
  EXPECT_EQ(d_.jobs[1].job.prev_hash, d_.jobs[0].job.prev_hash);
  EXPECT_TRUE(session_.KnowsJob("1"));
  EXPECT_TRUE(session_.KnowsJob("2"));
  ASSERT_TRUE(Feed(Job(3, std::nullopt)).ok());
  ASSERT_TRUE(Feed(PrevHash(3, 1700000100)).ok());
  ASSERT_EQ(d_.jobs.size(), 3u);
  EXPECT_TRUE(d_.jobs[2].job.clean_jobs);
  EXPECT_FALSE(session_.KnowsJob("1"));
  EXPECT_FALSE(session_.KnowsJob("2"));
  EXPECT_TRUE(session_.KnowsJob("3"));
}

TEST_F(Sv2SessionTest, TargetAndPrefixApplyToLaterJobsAndPendingFutureJobs) {
  Open();
  FirstJob();
  ASSERT_TRUE(Feed(Job(2, std::nullopt)).ok());  // Future job: takes the target at activation...
  ASSERT_TRUE(Feed(m::SetExtranoncePrefix{7, {0xf1}}).ok());  // ...but not the new prefix.
  ASSERT_TRUE(Feed(m::SetTarget{7, TargetFor(2)}).ok());
  EXPECT_DOUBLE_EQ(d_.jobs[0].difficulty, 0.5);  // Delivered jobs keep their terms.
  ASSERT_TRUE(Feed(PrevHash(2)).ok());
  EXPECT_DOUBLE_EQ(d_.jobs[1].difficulty, 2);
  EXPECT_EQ(d_.jobs[1].extranonce1, (std::vector<uint8_t>{0xe1, 0xe2}));
  ASSERT_TRUE(Feed(Job(3, 1700000001)).ok());
  EXPECT_DOUBLE_EQ(d_.jobs[2].difficulty, 2);
  EXPECT_EQ(d_.jobs[2].extranonce1, (std::vector<uint8_t>{0xf1}));
}

TEST_F(Sv2SessionTest, SubmitsAndBatchedAnswersBecomePerShareVerdicts) {
  Open();
  FirstJob();
  std::vector<SubmitResult> results(6);
  std::vector<bool> got(6, false);
  for (int i = 0; i < 6; ++i) {
    session_.Submit(
        Share("1", static_cast<uint8_t>(i)),
        [&, i](const SubmitResult& r) {
          results[i] = r;
          got[i] = true;
        },
        now_);
  }
  std::vector<m::SubmitSharesExtended> sent = d_.Sent<m::SubmitSharesExtended>();
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(sent[0].channel_id, 7u);
  EXPECT_EQ(sent[0].job_id, 1u);
  EXPECT_EQ(sent[0].nonce, 0x1234u);
  EXPECT_EQ(sent[0].ntime, 1700000000u);
  EXPECT_EQ(sent[0].version, 0x20002000u);  // The full version.
  EXPECT_EQ(sent[3].extranonce, (std::vector<uint8_t>{3, 0, 0, 0}));
  for (int i = 0; i < 6; ++i) EXPECT_EQ(sent[i].sequence_number, static_cast<uint32_t>(i));
  EXPECT_EQ(session_.pending_submits(), 6u);
  ASSERT_TRUE(Feed(m::SubmitSharesError{7, 1, "stale-share"}).ok());
  ASSERT_TRUE(Feed(m::SubmitSharesError{7, 2, "duplicate-share"}).ok());
  ASSERT_TRUE(Feed(m::SubmitSharesSuccess{7, 3, 2, 1}).ok());  // Accepts 0 and 3.
  ASSERT_TRUE(Feed(m::SubmitSharesError{7, 4, "difficulty-too-low"}).ok());
  ASSERT_TRUE(Feed(m::SubmitSharesError{7, 5, "invalid-share: Ntime out of range"}).ok());
  for (int i = 0; i < 6; ++i) EXPECT_TRUE(got[i]) << i;
  EXPECT_EQ(results[0].outcome, SubmitOutcome::kAccepted);
  EXPECT_TRUE(results[0].sent);
  EXPECT_EQ(results[3].outcome, SubmitOutcome::kAccepted);
  EXPECT_EQ(results[1].outcome, SubmitOutcome::kStale);
  EXPECT_EQ(results[1].code, 21);
  EXPECT_EQ(results[2].outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(results[2].code, 22);
  EXPECT_EQ(results[4].code, 23);
  EXPECT_EQ(results[4].reason, "difficulty-too-low");
  EXPECT_EQ(results[5].outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(results[5].code, 20);
  EXPECT_EQ(results[5].reason, "invalid-share: Ntime out of range");
  EXPECT_EQ(session_.pending_submits(), 0u);
  // Answers for nothing pending are ignored.
  EXPECT_TRUE(Feed(m::SubmitSharesError{7, 99, "stale-share"}).ok());
  EXPECT_TRUE(Feed(m::SubmitSharesSuccess{7, 100, 1, 1}).ok());
}

TEST_F(Sv2SessionTest, WideChannelExtranonceRollsEightBytesAndPadsTheRest) {
  Open(/*extranonce_size=*/12);
  FirstJob();
  const ClientJob& j = d_.jobs[0];
  EXPECT_EQ(j.extranonce2_size, 8);
  EXPECT_EQ(j.job.coinb2, (std::vector<uint8_t>{0, 0, 0, 0, 4, 5}));
  ClientShare s = Share("1");
  s.extranonce2.assign(8, 9);
  SubmitAndAnswer(s, m::SubmitSharesSuccess{7, 0, 1, 1});
  std::vector<m::SubmitSharesExtended> sent = d_.Sent<m::SubmitSharesExtended>();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].extranonce, (std::vector<uint8_t>{9, 9, 9, 9, 9, 9, 9, 9, 0, 0, 0, 0}));
}

TEST_F(Sv2SessionTest, SubmitWithoutChannelOrWithAForeignJobId) {
  std::optional<SubmitResult> r;
  session_.Submit(
      Share("1"), [&](const SubmitResult& res) { r = res; }, now_);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, SubmitOutcome::kPoolDown);
  EXPECT_FALSE(r->sent);
  Open();
  r.reset();
  session_.Submit(
      Share("a1.2"), [&](const SubmitResult& res) { r = res; }, now_);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, SubmitOutcome::kRejected);
  EXPECT_FALSE(r->sent);
}

TEST_F(Sv2SessionTest, RefusalsAndBadInputEndTheSession) {
  session_.Begin(now_);
  absl::Status s = Feed(m::SetupConnectionError{4, "unsupported-feature-flags"});
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("unsupported-feature-flags"));

  Sv2Session other(Config(), &d_, 4, "u");
  other.Begin(now_);
  ASSERT_TRUE(other.OnFrame(*sv2::EncodeMessage(m::SetupConnectionSuccess{2, 0}), now_).ok());
  s = other.OnFrame(*sv2::EncodeMessage(m::OpenMiningChannelError{1, "unknown-user"}), now_);
  EXPECT_TRUE(absl::IsPermissionDenied(s));
  EXPECT_THAT(std::string(s.message()), HasSubstr("alice.rig1"));
}

TEST_F(Sv2SessionTest, ProtocolViolations) {
  Open();
  EXPECT_TRUE(absl::IsInvalidArgument(Feed(Job(5, 1700000000))));  // min_ntime, no prev hash
  sv2::Frame malformed = *sv2::EncodeMessage(m::SetTarget{7, TargetFor(1)});
  malformed.payload.pop_back();
  EXPECT_TRUE(absl::IsInvalidArgument(session_.OnFrame(malformed, now_)));
  EXPECT_TRUE(absl::IsInvalidArgument(Feed(m::SetTarget{7, sv2::U256{}})));  // zero target
  sv2::NewExtendedMiningJob huge = Job(6, std::nullopt);
  huge.coinbase_tx_prefix.assign(kMaxCoinbasePartBytes + 1, 0);
  EXPECT_TRUE(absl::IsInvalidArgument(Feed(huge)));
  sv2::SetNewPrevHash bad_bits = PrevHash(1);
  bad_bits.nbits = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(Feed(bad_bits)));
  // Unknown messages and other channels are ignored.
  EXPECT_TRUE(session_.OnFrame(sv2::Frame{0, 0x15, {1, 2}}, now_).ok());
  EXPECT_TRUE(session_.OnFrame(sv2::Frame{0x4001, 0x01, {}}, now_).ok());
  EXPECT_TRUE(Feed(m::SetTarget{8, TargetFor(1)}).ok());
  EXPECT_DOUBLE_EQ(session_.difficulty(), 0.5);
  EXPECT_TRUE(absl::IsUnavailable(Feed(m::CloseChannel{7, "maintenance"})));
}

TEST_F(Sv2SessionTest, GroupChannelJobsAndReconnect) {
  Open();
  sv2::NewExtendedMiningJob j = Job(1, std::nullopt);
  j.channel_id = 70;  // Our group channel.
  ASSERT_TRUE(Feed(j).ok());
  sv2::SetNewPrevHash p = PrevHash(1);
  p.channel_id = 70;
  ASSERT_TRUE(Feed(p).ok());
  EXPECT_EQ(d_.jobs.size(), 1u);
  ASSERT_TRUE(Feed(m::Reconnect{"eu.pool", 0}).ok());
  ASSERT_EQ(d_.reconnects.size(), 1u);
  EXPECT_EQ(d_.reconnects[0].host, "eu.pool");
  EXPECT_FALSE(d_.reconnects[0].port.has_value());
}

TEST_F(Sv2SessionTest, FixedVersionPoolAndJobsThatForbidRolling) {
  Open(4, m::kRequiresFixedVersion);
  FirstJob();
  EXPECT_EQ(d_.jobs[0].version_mask, 0u);
  Sv2Session other(Config(), &d_, 4, "u");
  other.Begin(now_);
  ASSERT_TRUE(other.OnFrame(*sv2::EncodeMessage(m::SetupConnectionSuccess{2, 0}), now_).ok());
  ASSERT_TRUE(other
                  .OnFrame(*sv2::EncodeMessage(
                               m::OpenExtendedMiningChannelSuccess{1, 7, TargetFor(1), 4, {}, 0}),
                           now_)
                  .ok());
  ASSERT_TRUE(other.OnFrame(*sv2::EncodeMessage(Job(1, std::nullopt, false)), now_).ok());
  ASSERT_TRUE(other.OnFrame(*sv2::EncodeMessage(PrevHash(1)), now_).ok());
  EXPECT_EQ(d_.jobs.back().version_mask, 0u);
}

TEST_F(Sv2SessionTest, TimeoutsKeepSharesPending) {
  session_.Begin(now_);
  EXPECT_TRUE(session_.Tick(now_ + absl::Seconds(9)).ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(session_.Tick(now_ + absl::Seconds(11))));
  Open();
  FirstJob();
  session_.Submit(
      Share("1"), [](const SubmitResult&) { FAIL() << "must stay pending"; }, now_);
  EXPECT_TRUE(session_.Tick(now_ + absl::Seconds(29)).ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(session_.Tick(now_ + absl::Seconds(31))));
  std::vector<Session::Unanswered> left = session_.TakePendingSubmits();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].share.job_id, "1");
  EXPECT_EQ(session_.pending_submits(), 0u);
  EXPECT_TRUE(absl::IsUnavailable(session_.Tick(now_ + absl::Seconds(91))));  // stalled
}

TEST_F(Sv2SessionTest, UpdateChannelAtMostOncePerInterval) {
  Open();
  session_.SetNominalHashrate(2e9, now_);
  session_.SetNominalHashrate(3e9, now_ + absl::Seconds(1));
  std::vector<m::UpdateChannel> sent = d_.Sent<m::UpdateChannel>();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].channel_id, 7u);
  EXPECT_EQ(sent[0].nominal_hash_rate, 2e9f);
  EXPECT_TRUE(session_.Tick(now_ + absl::Seconds(5)).ok());
  EXPECT_EQ(d_.Sent<m::UpdateChannel>().size(), 1u);
  ASSERT_TRUE(Feed(m::SetTarget{7, TargetFor(1)}).ok());  // Keep the stall clock quiet.
  EXPECT_TRUE(session_.Tick(now_ + absl::Seconds(10)).ok());
  sent = d_.Sent<m::UpdateChannel>();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].nominal_hash_rate, 3e9f);
  EXPECT_EQ(sent[1].maximum_target, sv2::MaxTarget());
  session_.SetNominalHashrate(std::nan(""), now_ + absl::Seconds(15));  // Never sent as NaN.
  session_.SuggestDifficulty(8, now_ + absl::Seconds(20));
  sent = d_.Sent<m::UpdateChannel>();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2].maximum_target, TargetFor(8));
  EXPECT_EQ(sent[2].nominal_hash_rate, 0.0f);
}

TEST_F(Sv2SessionTest, AbortEndsEveryPendingSubmit) {
  Open();
  FirstJob();
  std::optional<SubmitResult> r;
  session_.Submit(
      Share("1"), [&](const SubmitResult& res) { r = res; }, now_);
  session_.AbortPending(SubmitOutcome::kTimedOut, "stopped");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->outcome, SubmitOutcome::kTimedOut);
}

}  // namespace
}  // namespace synth::stratum
