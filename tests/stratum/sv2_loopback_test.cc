// The SV2 client (transport + session) against synth-pool's SV2 side over loopback: handshake,
// channel, jobs, shares and their verdicts, difficulty/extranonce boundaries, and handshakes
// that must fail. Raw-socket peers cover what a well-behaved endpoint never sends.
#include <sys/socket.h>

// A C++ standard header before asio.hpp: asio picks its handler allocator (aligned_alloc or
// operator new) from a libstdc++ macro, and a file where asio comes first would pair one
// allocator with the other's free (ASan: alloc-dealloc-mismatch).
#include <memory>
#include <string>
#include <vector>

#include "asio.hpp"
#include "common/bitcoin/uint256.h"
#include "common/sv2/authority_key.h"
#include "common/sv2/secure_channel.h"
#include "gtest/gtest.h"
#include "master/stratum/transport.h"
#include "tests/stratum/harness.h"
#include "tests/stratum/sv2_harness.h"

namespace synth::stratum::testing {
namespace {

std::unique_ptr<pool::PoolServer> StartSv2Pool(pool::PoolOptions o = {}) {
  o.listen_port = 0;
  o.difficulty = kTinyDiff;
  o.job_interval_s = 0;
  o.sv2.listen_port = 0;
  absl::StatusOr<std::unique_ptr<pool::PoolServer>> p = pool::PoolServer::Start(o);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

class Sv2LoopbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = StartSv2Pool();
    ASSERT_NE(pool_, nullptr);
    client_ = std::make_unique<Sv2TestClient>(pool_->sv2_url());
    client_->Start();
    ASSERT_TRUE(WaitFor([&] { return client_->job_count() >= 1; })) << Closed();
  }
  std::string Closed() {
    std::optional<absl::Status> c = client_ ? client_->closed() : std::nullopt;
    return c ? c->ToString() : "open";
  }
  std::unique_ptr<pool::PoolServer> pool_;
  std::unique_ptr<Sv2TestClient> client_;
};

TEST_F(Sv2LoopbackTest, ChannelJobsAndAcceptedSharesWithRolledVersions) {
  ClientJob job = client_->last_job();
  EXPECT_TRUE(client_->ready());
  EXPECT_TRUE(job.job.clean_jobs);
  EXPECT_EQ(job.extranonce1.size(), 4u);
  EXPECT_EQ(job.extranonce2_size, 4);
  EXPECT_EQ(job.version_mask, 0x1fffe000u);
  EXPECT_NEAR(job.difficulty, kTinyDiff, kTinyDiff * 1e-9);
  EXPECT_GE(*bitcoin::TargetFromDifficulty(kTinyDiff),
            *bitcoin::TargetFromDifficulty(job.difficulty));
  for (uint32_t i = 0; i < 3; ++i) {
    ClientShare share = Miner::FindShare(job, /*en2=*/i + 1, /*version_bits=*/i << 13);
    SubmitResult r = client_->SubmitAndWait(share);
    EXPECT_EQ(r.outcome, SubmitOutcome::kAccepted) << r.reason;
    EXPECT_TRUE(r.sent);
  }
  pool::PoolStats s = pool_->Stats();
  EXPECT_EQ(s.accepted, 3u);
  EXPECT_EQ(s.sv2_connections, 1u);
  EXPECT_EQ(s.sv2_channels, 1u);
  EXPECT_EQ(s.sv2_bad_input, 0u);
  EXPECT_FALSE(client_->closed().has_value());
}

TEST_F(Sv2LoopbackTest, StaleDuplicateLowAndBadShares) {
  ClientJob old_job = client_->last_job();
  ClientShare accepted = Miner::FindShare(old_job, 1);
  ASSERT_EQ(client_->SubmitAndWait(accepted).outcome, SubmitOutcome::kAccepted);
  SubmitResult dup = client_->SubmitAndWait(accepted);
  EXPECT_EQ(dup.outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(dup.code, 22);
  // A nonce that misses the target: low difficulty.
  ClientShare low = accepted;
  low.extranonce2 = {2, 0, 0, 0};
  low.nonce = *pool::FindNonce(old_job.job, old_job.extranonce1, low.extranonce2, low.version,
                               low.ntime, old_job.difficulty, 0, 1 << 20, /*miss=*/true);
  SubmitResult r = client_->SubmitAndWait(low);
  EXPECT_EQ(r.outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(r.code, 23);
  EXPECT_EQ(r.reason, "difficulty-too-low");
  // ntime far outside the window: another rejection, with the pool's reason.
  ClientShare late = Miner::FindShare(old_job, 3);
  late.ntime += 8000;
  r = client_->SubmitAndWait(late);
  EXPECT_EQ(r.outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(r.code, 20);
  EXPECT_NE(r.reason.find("Ntime out of range"), std::string::npos) << r.reason;
  // A clean job makes the old one stale.
  pool_->NewJob(/*clean=*/true);
  ASSERT_TRUE(WaitFor([&] { return client_->job_count() >= 2; }));
  EXPECT_TRUE(client_->last_job().job.clean_jobs);
  r = client_->SubmitAndWait(Miner::FindShare(old_job, 4));
  EXPECT_EQ(r.outcome, SubmitOutcome::kStale);
  EXPECT_EQ(r.code, 21);
  EXPECT_EQ(client_->SubmitAndWait(Miner::FindShare(client_->last_job(), 5)).outcome,
            SubmitOutcome::kAccepted);
  pool::PoolStats s = pool_->Stats();
  EXPECT_EQ(s.accepted, 2u);
  EXPECT_EQ(s.rejected[21], 1u);
  EXPECT_EQ(s.rejected[22], 1u);
  EXPECT_EQ(s.rejected[23], 1u);
  EXPECT_EQ(s.rejected[20], 1u);
}

TEST_F(Sv2LoopbackTest, NonCleanJobKeepsPrevHashAndDifficultyAppliesToLaterJobs) {
  ClientJob first = client_->last_job();
  pool_->SetDifficulty(2e-5);
  pool_->NewJob(/*clean=*/false);
  ASSERT_TRUE(WaitFor([&] { return client_->job_count() >= 2; }));
  ClientJob second = client_->last_job();
  EXPECT_FALSE(second.job.clean_jobs);
  EXPECT_EQ(second.job.prev_hash, first.job.prev_hash);  // SV2: one prev hash until a clean job.
  EXPECT_NEAR(second.difficulty, 2e-5, 2e-14);
  EXPECT_NEAR(first.difficulty, kTinyDiff, 1e-14);
  EXPECT_EQ(client_->SubmitAndWait(Miner::FindShare(first, 1)).outcome, SubmitOutcome::kAccepted);
  EXPECT_EQ(client_->SubmitAndWait(Miner::FindShare(second, 2)).outcome, SubmitOutcome::kAccepted);
}

TEST_F(Sv2LoopbackTest, ExtranoncePrefixChangeAppliesToLaterJobs) {
  ClientJob first = client_->last_job();
  pool_->ChangeExtranonce();
  pool_->NewJob(/*clean=*/false);
  ASSERT_TRUE(WaitFor([&] { return client_->job_count() >= 2; }));
  ClientJob second = client_->last_job();
  EXPECT_NE(second.extranonce1, first.extranonce1);
  EXPECT_EQ(client_->SubmitAndWait(Miner::FindShare(first, 1)).outcome, SubmitOutcome::kAccepted);
  EXPECT_EQ(client_->SubmitAndWait(Miner::FindShare(second, 1)).outcome, SubmitOutcome::kAccepted);
}

TEST_F(Sv2LoopbackTest, MaximumTargetAndReconnect) {
  client_->SuggestDifficulty(4e-5);  // UpdateChannel: no easier than 4e-5.
  ASSERT_TRUE(WaitFor([&] { return client_->difficulty() > 3e-5; }));  // The pool's SetTarget.
  pool_->NewJob(/*clean=*/false);
  ASSERT_TRUE(WaitFor([&] { return client_->job_count() >= 2; }));
  EXPECT_NEAR(client_->last_job().difficulty, 4e-5, 4e-14);
  EXPECT_EQ(client_->SubmitAndWait(Miner::FindShare(client_->last_job(), 1)).outcome,
            SubmitOutcome::kAccepted);
  pool_->SendReconnect("127.0.0.1", 3999, 0);
  ASSERT_TRUE(WaitFor([&] { return !client_->reconnects().empty(); }));
  EXPECT_EQ(client_->reconnects()[0].port, 3999);
}

// ---- handshakes that must fail ----

std::string WithKey(const std::string& url, const sv2::XOnly& key) {
  return url.substr(0, url.rfind('/') + 1) + sv2::FormatAuthorityKey(key);
}

TEST(Sv2HandshakeTest, WrongAuthorityKeyIsRefusedAndThePoolKeepsServing) {
  std::unique_ptr<pool::PoolServer> pool = StartSv2Pool();
  ASSERT_NE(pool, nullptr);
  sv2::SecretKey other = *sv2::GenerateSecretKey(sv2::SystemRandom());
  Sv2TestClient wrong(WithKey(pool->sv2_url(), *sv2::XOnlyPublicKey(other)));
  ASSERT_TRUE(wrong.url_status().ok());
  wrong.Start();
  ASSERT_TRUE(WaitFor([&] { return wrong.closed().has_value(); }));
  EXPECT_TRUE(absl::IsPermissionDenied(*wrong.closed())) << *wrong.closed();
  EXPECT_NE(wrong.closed()->message().find("not signed by the pool's authority key"),
            std::string::npos);
  EXPECT_EQ(wrong.job_count(), 0u);
  Sv2TestClient right(pool->sv2_url());
  right.Start();
  EXPECT_TRUE(WaitFor([&] { return right.job_count() >= 1; }));
}

TEST(Sv2HandshakeTest, ExpiredCertificateIsRefused) {
  pool::PoolOptions o;
  o.sv2.cert_valid_from_s = -7200;
  o.sv2.cert_valid_until_s = -10;
  std::unique_ptr<pool::PoolServer> pool = StartSv2Pool(o);
  ASSERT_NE(pool, nullptr);
  Sv2TestClient c(pool->sv2_url());
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return c.closed().has_value(); }));
  EXPECT_TRUE(absl::IsPermissionDenied(*c.closed())) << *c.closed();
  EXPECT_NE(c.closed()->message().find("expired"), std::string::npos);
}

// A blocking raw TCP peer with a 5 s receive timeout (a hung test fails instead of hanging).
class RawPeer {
 public:
  explicit RawPeer(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
    timeval tv{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  static RawPeer Connect(asio::io_context& io, int port) {
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)});
    return RawPeer(std::move(s));
  }
  void Write(const std::vector<uint8_t>& b) { asio::write(socket_, asio::buffer(b)); }
  std::vector<uint8_t> Read(size_t n) {
    std::vector<uint8_t> b(n);
    asio::error_code ec;
    size_t got = asio::read(socket_, asio::buffer(b), ec);
    b.resize(got);
    return b;
  }
  // True when the peer closed the connection (reads end) within the timeout.
  bool ClosedByPeer() {
    uint8_t b[256];
    asio::error_code ec;
    while (!ec) socket_.read_some(asio::buffer(b), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  void Close() { socket_.close(); }

 private:
  asio::ip::tcp::socket socket_;
};

// Completes the handshake with synth-pool's SV2 side from a raw socket.
std::unique_ptr<sv2::SecureChannel> RawHandshake(RawPeer& peer, const std::string& url) {
  PoolUrl u = *ParsePoolUrl(url);
  auto ch = sv2::SecureChannel::Initiator(u.authority_key, sv2::SystemRandom());
  peer.Write(*ch->Start());
  std::vector<uint8_t> act2 = peer.Read(sv2::kAct2Size);
  std::vector<sv2::Frame> frames;
  std::vector<uint8_t> none;
  EXPECT_TRUE(ch->Feed(act2, absl::Now(), &frames, &none).ok());
  EXPECT_TRUE(ch->established());
  return ch;
}

std::vector<uint8_t> SealedSetup(sv2::SecureChannel& ch) {
  sv2::SetupConnection m;
  m.endpoint_host = "127.0.0.1";
  return *ch.Seal(*sv2::EncodeMessage(m));
}

TEST(Sv2PoolBadInputTest, TamperedTruncatedAndGarbageConnectionsAreDropped) {
  std::unique_ptr<pool::PoolServer> pool = StartSv2Pool();
  ASSERT_NE(pool, nullptr);
  asio::io_context io;
  auto error_after = [&](uint64_t n) {
    EXPECT_TRUE(WaitFor([&] { return pool->Stats().sv2_bad_input >= n; }));
    return pool->Stats().last_message_error;
  };
  {
    RawPeer tampered = RawPeer::Connect(io, pool->sv2_port());
    auto ch = RawHandshake(tampered, pool->sv2_url());
    std::vector<uint8_t> frame = SealedSetup(*ch);
    frame[frame.size() / 2] ^= 0x01;
    tampered.Write(frame);
    EXPECT_TRUE(tampered.ClosedByPeer());
    EXPECT_NE(error_after(1).find("MAC"), std::string::npos);
  }
  {
    RawPeer truncated = RawPeer::Connect(io, pool->sv2_port());
    auto ch = RawHandshake(truncated, pool->sv2_url());
    std::vector<uint8_t> frame = SealedSetup(*ch);
    frame.resize(frame.size() - 5);
    truncated.Write(frame);
    truncated.Close();
    EXPECT_NE(error_after(2).find("truncated frame"), std::string::npos);
  }
  {
    RawPeer garbage = RawPeer::Connect(io, pool->sv2_port());
    garbage.Write(std::vector<uint8_t>(64, 0x42));  // Any 64 bytes are a valid act 1...
    EXPECT_EQ(garbage.Read(sv2::kAct2Size).size(), sv2::kAct2Size);
    garbage.Write(std::vector<uint8_t>(40, 0x42));  // ...but not a sealed frame.
    EXPECT_TRUE(garbage.ClosedByPeer());
    EXPECT_NE(error_after(3).find("frame header"), std::string::npos);
  }
  {
    RawPeer half = RawPeer::Connect(io, pool->sv2_port());
    half.Write(std::vector<uint8_t>(30, 0x42));  // Half an act 1, then gone.
    half.Close();
    EXPECT_NE(error_after(4).find("truncated handshake"), std::string::npos);
  }
  // Everyone else is still served.
  Sv2TestClient c(pool->sv2_url());
  c.Start();
  ASSERT_TRUE(WaitFor([&] { return c.job_count() >= 1; }));
  EXPECT_EQ(c.SubmitAndWait(Miner::FindShare(c.last_job(), 1)).outcome, SubmitOutcome::kAccepted);
}

// A responder the test controls, for what synth-pool never sends: tampered and truncated frames.
class FakeSv2Pool {
 public:
  enum class Fault { kTamperedAct2, kTamperedFrame, kTruncatedFrame };
  explicit FakeSv2Pool(Fault fault) : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    sv2::SecretKey authority = *sv2::GenerateSecretKey(sv2::SystemRandom());
    authority_ = *sv2::XOnlyPublicKey(authority);
    sv2::ResponderCredentials creds;
    creds.static_key = *sv2::GenerateSecretKey(sv2::SystemRandom());
    uint32_t now = static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now()));
    creds.certificate = *sv2::SignCertificate(authority, *sv2::XOnlyPublicKey(creds.static_key),
                                              now - 60, now + 3600, sv2::SystemRandom());
    thread_ = std::thread([this, fault, creds] { Serve(fault, creds); });
  }
  ~FakeSv2Pool() { thread_.join(); }
  std::string Url() const {
    return "stratum2+tcp://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/" +
           sv2::FormatAuthorityKey(authority_);
  }

 private:
  void Serve(Fault fault, sv2::ResponderCredentials creds) {
    RawPeer peer(acceptor_.accept());
    auto ch = sv2::SecureChannel::Responder(creds, sv2::SystemRandom());
    std::vector<sv2::Frame> frames;
    std::vector<uint8_t> act2;
    ASSERT_TRUE(ch->Feed(peer.Read(sv2::kAct1Size), absl::Now(), &frames, &act2).ok());
    if (fault == Fault::kTamperedAct2) act2[100] ^= 0x01;
    peer.Write(act2);
    if (fault == Fault::kTamperedAct2) {
      peer.ClosedByPeer();
      return;
    }
    std::vector<uint8_t> reply = *ch->Seal(*sv2::EncodeMessage(sv2::SetupConnectionSuccess{2, 0}));
    if (fault == Fault::kTamperedFrame) reply[3] ^= 0x01;
    if (fault == Fault::kTruncatedFrame) reply.resize(reply.size() - 3);
    peer.Write(reply);
    if (fault == Fault::kTruncatedFrame) {
      peer.Close();
    } else {
      peer.ClosedByPeer();
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  sv2::XOnly authority_{};
  std::thread thread_;
};

TEST(Sv2TransportTest, TamperedOrTruncatedInputFromThePoolEndsTheConnection) {
  struct Case {
    FakeSv2Pool::Fault fault;
    absl::StatusCode code;
    const char* text;
  };
  for (const Case& c :
       {Case{FakeSv2Pool::Fault::kTamperedAct2, absl::StatusCode::kDataLoss, "MAC"},
        Case{FakeSv2Pool::Fault::kTamperedFrame, absl::StatusCode::kDataLoss, "frame header"},
        Case{FakeSv2Pool::Fault::kTruncatedFrame, absl::StatusCode::kUnavailable, "mid-frame"}}) {
    FakeSv2Pool fake(c.fault);
    Sv2TestClient client(fake.Url());
    client.Start();
    ASSERT_TRUE(WaitFor([&] { return client.closed().has_value(); }));
    EXPECT_EQ(client.closed()->code(), c.code) << *client.closed();
    EXPECT_NE(client.closed()->message().find(c.text), std::string::npos) << *client.closed();
    EXPECT_FALSE(client.ready());
  }
}

}  // namespace
}  // namespace synth::stratum::testing
