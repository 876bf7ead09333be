// The master's Stratum client with Stratum V2 pools in its list, against synth-pool over
// loopback: mining and verdicts on an SV2 pool, a certificate that does not verify counted as a
// pool failure (failover moves on at once), and failover from an SV2 pool to a V1 backup and
// back once the SV2 pool returns (the probe).
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sv2/authority_key.h"
#include "common/sv2/keys.h"
#include "common/sv2/random.h"
#include "gtest/gtest.h"
#include "tests/stratum/harness.h"

namespace synth::stratum::testing {
namespace {

// synth-pool with both sides; `sv2_port` 0 picks one, `key_file` empty: a key for this process.
std::unique_ptr<pool::PoolServer> StartSv2Pool(int sv2_port = 0, std::string key_file = "",
                                               int64_t cert_valid_until_s = 24 * 3600) {
  pool::PoolOptions o;
  o.listen_port = 0;
  o.difficulty = kTinyDiff;
  o.job_interval_s = 0;
  o.sv2.listen_port = sv2_port;
  o.sv2.authority_key_file = std::move(key_file);
  o.sv2.cert_valid_until_s = cert_valid_until_s;
  if (cert_valid_until_s < 0) o.sv2.cert_valid_from_s = cert_valid_until_s - 3600;
  absl::StatusOr<std::unique_ptr<pool::PoolServer>> p = pool::PoolServer::Start(o);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

// Returns `url` with the authority key replaced by a fresh one: a certificate that the pool's
// real authority signed does not verify against it.
std::string WithOtherKey(const std::string& url) {
  sv2::SecretKey other = *sv2::GenerateSecretKey(sv2::SystemRandom());
  return url.substr(0, url.rfind('/') + 1) + sv2::FormatAuthorityKey(*sv2::XOnlyPublicKey(other));
}

TEST(Sv2ClientTest, MinesOnAnSv2PoolWithEveryVerdictReconciled) {
  std::unique_ptr<pool::PoolServer> pool = StartSv2Pool();
  ASSERT_NE(pool, nullptr);
  Miner miner;
  std::unique_ptr<Client> client =
      StartClient(miner, FastOptions({{pool->sv2_url(), "alice.sv2", "unused", 0}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected && miner.job_count() >= 1; }));
  ClientJob job = miner.last_job();
  EXPECT_TRUE(job.job.clean_jobs);
  EXPECT_EQ(job.version_mask, 0x1fffe000u);
  for (uint32_t en2 = 1; en2 <= 3; ++en2) {
    SubmitResult r = Miner::SubmitAndWait(*client, Miner::FindShare(job, en2, en2 << 13));
    EXPECT_EQ(r.outcome, SubmitOutcome::kAccepted) << r.reason;
  }
  SubmitResult dup = Miner::SubmitAndWait(*client, Miner::FindShare(job, 1, 1 << 13));
  EXPECT_EQ(dup.outcome, SubmitOutcome::kRejected);
  EXPECT_EQ(dup.code, 22);
  EXPECT_EQ(dup.reason, "duplicate-share");
  ClientStatus s = client->Status();
  EXPECT_EQ(s.url, pool->sv2_url());
  EXPECT_FALSE(s.resumed);
  EXPECT_EQ(s.shares.submitted, 4u);
  EXPECT_EQ(s.shares.accepted, 3u);
  EXPECT_EQ(s.shares.rejected_by_code[22], 1u);
  ASSERT_EQ(s.pools.size(), 1u);
  EXPECT_EQ(s.pools[0].accepted, 3u);
  EXPECT_EQ(s.pools[0].rejected, 1u);
  EXPECT_EQ(pool->Stats().accepted, 3u);
  EXPECT_EQ(pool->Stats().sv2_channels, 1u);
  client->Stop();
}

// The cluster's rate reaches an SV2 pool in UpdateChannel (and in the next session's
// OpenExtendedMiningChannel): F32 on the wire.
TEST(Sv2ClientTest, TheClusterRateReachesTheSv2Pool) {
  std::unique_ptr<pool::PoolServer> pool = StartSv2Pool();
  ASSERT_NE(pool, nullptr);
  Miner miner;
  std::unique_ptr<Client> client =
      StartClient(miner, FastOptions({{pool->sv2_url(), "alice.sv2", "unused", 0}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected; }));
  client->SetNominalHashrate(2.5e12);
  const double want = static_cast<float>(2.5e12);
  EXPECT_TRUE(WaitFor([&] { return pool->Stats().sv2_nominal_hash_rate == want; }))
      << pool->Stats().sv2_nominal_hash_rate;
  client->Stop();
}

TEST(Sv2ClientTest, ShareUnansweredWhenTheConnectionDropsEndsPoolDownNotLost) {
  std::unique_ptr<pool::PoolServer> pool = StartSv2Pool();
  ASSERT_NE(pool, nullptr);
  Miner miner;
  std::unique_ptr<Client> client =
      StartClient(miner, FastOptions({{pool->sv2_url(), "w", "", 0}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected && miner.job_count() >= 1; }));
  ClientJob job = miner.last_job();
  pool->SetStall(true);  // The submit goes out and is never answered...
  auto verdict = std::make_shared<std::optional<SubmitResult>>();
  auto mu = std::make_shared<absl::Mutex>();
  client->Submit(Miner::FindShare(job), [verdict, mu](const SubmitResult& r) {
    absl::MutexLock l(mu.get());
    *verdict = r;
  });
  // ...then the connection drops (before or after the send: either way the share was not
  // answered). SV2 has no resume, so no later connection may take it.
  pool->DropAll();
  pool->SetStall(false);
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock l(mu.get());
    return verdict->has_value();
  }, 10000));
  EXPECT_EQ((*verdict)->outcome, SubmitOutcome::kPoolDown) << (*verdict)->reason;
  ASSERT_TRUE(WaitFor([&] { return client->Status().connects >= 2; }, 10000));
  ASSERT_TRUE(WaitFor([&] { return miner.last_job().connection != job.connection; }));
  EXPECT_TRUE(miner.last_job().job.clean_jobs);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  ClientStatus s = client->Status();
  EXPECT_EQ(s.shares.pool_down, 1u);
  EXPECT_EQ(s.shares.accepted, 1u);
  EXPECT_EQ(s.shares.submitted, s.shares.accepted + s.shares.pool_down);
  client->Stop();
}

TEST(Sv2ClientTest, UnansweredSubmitOnAStalledSv2PoolFailsOverToTheV1Backup) {
  std::unique_ptr<pool::PoolServer> sv2_pool = StartSv2Pool();
  std::unique_ptr<pool::PoolServer> backup = StartPool();
  ASSERT_NE(sv2_pool, nullptr);
  ASSERT_NE(backup, nullptr);
  Miner miner;
  ClientOptions o = FastOptions({{sv2_pool->sv2_url(), "w", "", 0},
                                 {Url(backup->port()), "w", "x", 1}});
  o.session.submit_timeout = absl::Seconds(1);
  o.connect_timeout_s = 1;  // A stalled SV2 pool never finishes the Noise handshake either.
  o.primary_retry = absl::Seconds(60);
  std::unique_ptr<Client> client = StartClient(miner, o);
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected && miner.job_count() >= 1; }));
  ClientJob job = miner.last_job();
  sv2_pool->SetStall(true);  // Ready, then silent: the submit gets no answer.
  SubmitResult r = Miner::SubmitAndWait(*client, Miner::FindShare(job), 15000);
  EXPECT_EQ(r.outcome, SubmitOutcome::kPoolDown) << r.reason;  // Not resent: no SV2 resume.
  ASSERT_TRUE(WaitFor([&] { return client->Status().url == Url(backup->port()); }, 15000));
  ClientStatus s = client->Status();
  EXPECT_EQ(s.pool_index, 1);
  EXPECT_EQ(s.pools[0].failovers, 1u);
  ASSERT_TRUE(WaitFor([&] { return miner.last_job().pool_url == Url(backup->port()); }));
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_EQ(sv2_pool->Stats().accepted, 0u);
  sv2_pool->SetStall(false);
  client->Stop();
}

TEST(Sv2ClientTest, CertificateOfAnotherAuthorityIsAPoolFailureAndFailoverMovesOn) {
  std::unique_ptr<pool::PoolServer> sv2_pool = StartSv2Pool();
  std::unique_ptr<pool::PoolServer> backup = StartPool();
  ASSERT_NE(sv2_pool, nullptr);
  ASSERT_NE(backup, nullptr);
  Miner miner;
  ClientOptions o = FastOptions({{WithOtherKey(sv2_pool->sv2_url()), "w", "x", 0},
                                 {Url(backup->port()), "w", "x", 1}});
  o.primary_retry = absl::Seconds(60);  // Stay on the backup once there.
  std::unique_ptr<Client> client = StartClient(miner, o);
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected; }));
  ClientStatus s = client->Status();
  EXPECT_EQ(s.pool_index, 1);
  EXPECT_EQ(s.url, Url(backup->port()));
  EXPECT_EQ(s.pools[0].connects, 0u);
  EXPECT_EQ(s.pools[0].failovers, 1u);
  EXPECT_EQ(sv2_pool->Stats().sv2_channels, 0u);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  client->Stop();
}

TEST(Sv2ClientTest, ExpiredCertificateIsAPoolFailureToo) {
  std::unique_ptr<pool::PoolServer> expired = StartSv2Pool(0, "", /*cert_valid_until_s=*/-10);
  std::unique_ptr<pool::PoolServer> backup = StartSv2Pool();
  ASSERT_NE(expired, nullptr);
  ASSERT_NE(backup, nullptr);
  Miner miner;
  ClientOptions o = FastOptions(
      {{expired->sv2_url(), "w", "x", 0}, {backup->sv2_url(), "w", "x", 1}});
  o.primary_retry = absl::Seconds(60);
  std::unique_ptr<Client> client = StartClient(miner, o);
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected; }));
  ClientStatus s = client->Status();
  EXPECT_EQ(s.pool_index, 1);
  EXPECT_EQ(s.pools[0].failovers, 1u);
  EXPECT_EQ(expired->Stats().sv2_channels, 0u);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  client->Stop();
}

TEST(Sv2ClientTest, FailsOverFromSv2ToV1AndProbesItsWayBack) {
  std::string key_file = absl::StrCat(::testing::TempDir(), "/sv2_client_test_", getpid(), ".key");
  std::unique_ptr<pool::PoolServer> primary = StartSv2Pool(0, key_file);
  std::unique_ptr<pool::PoolServer> backup = StartPool();
  ASSERT_NE(primary, nullptr);
  ASSERT_NE(backup, nullptr);
  const std::string sv2_url = primary->sv2_url();
  const int sv2_port = primary->sv2_port();
  Miner miner;
  std::unique_ptr<Client> client = StartClient(
      miner, FastOptions({{sv2_url, "w", "x", 0}, {Url(backup->port()), "w", "x", 1}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected && miner.job_count() >= 1; }));
  EXPECT_EQ(client->Status().url, sv2_url);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);

  primary->Stop();  // The SV2 pool goes away: the V1 backup takes over.
  primary.reset();
  ASSERT_TRUE(WaitFor([&] { return client->Status().url == Url(backup->port()); }, 10000));
  ASSERT_TRUE(WaitFor([&] { return miner.last_job().pool_url == Url(backup->port()); }));
  EXPECT_TRUE(miner.last_job().job.clean_jobs);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_EQ(client->Status().pools[0].failovers, 1u);

  primary = StartSv2Pool(sv2_port, key_file);  // Back, same port and key: the same URL.
  ASSERT_NE(primary, nullptr);
  ASSERT_EQ(primary->sv2_url(), sv2_url);
  ASSERT_TRUE(WaitFor([&] { return client->Status().url == sv2_url; }, 10000));
  ASSERT_TRUE(WaitFor([&] { return miner.last_job().pool_url == sv2_url; }));
  ClientJob job = miner.last_job();
  EXPECT_TRUE(job.job.clean_jobs);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(job)).outcome,
            SubmitOutcome::kAccepted);
  ClientStatus s = client->Status();
  EXPECT_EQ(s.pool_index, 0);
  EXPECT_EQ(s.pools[0].accepted, 2u);
  EXPECT_EQ(s.pools[1].accepted, 1u);
  EXPECT_EQ(s.shares.accepted, 3u);
  EXPECT_EQ(primary->Stats().accepted + backup->Stats().accepted, 2u);  // The first pool left.
  client->Stop();
  std::remove(key_file.c_str());
}

}  // namespace
}  // namespace synth::stratum::testing
