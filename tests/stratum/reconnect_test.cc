// Connection faults over loopback: drops with session resume, client.reconnect (and the
// same-domain rule), failover to a backup and back, garbage and oversize lines, TLS mismatch.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/stratum/harness.h"

namespace synth::stratum::testing {
namespace {

TEST(ReconnectTest, DropResumesTheSessionAndQueuedShareIsNotLost) {
  std::unique_ptr<pool::PoolServer> pool = StartPool();
  Miner miner;
  std::unique_ptr<Client> client = StartClient(miner, FastOptions({{Url(pool->port()), "w", "x", 0}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected && miner.job_count() >= 1; }));
  ClientJob job = miner.last_job();
  ClientShare share = Miner::FindShare(job);
  pool->SetStall(true);   // Hold the pool so the drop lands before the share is answered...
  pool->DropAll();
  pool->SetStall(false);
  SubmitResult r = Miner::SubmitAndWait(*client, share);  // ...queued, then sent on resume.
  EXPECT_EQ(r.outcome, SubmitOutcome::kAccepted) << r.reason;
  ClientStatus s = client->Status();
  EXPECT_GE(s.connects, 2u);
  EXPECT_TRUE(s.resumed);
  EXPECT_EQ(miner.last_job().extranonce1, job.extranonce1);
  client->Stop();
}

TEST(ReconnectTest, ClientReconnectMovesWithinTheDomainOnly) {
  std::unique_ptr<pool::PoolServer> a = StartPool();
  std::unique_ptr<pool::PoolServer> b = StartPool();
  Miner miner;
  std::unique_ptr<Client> client = StartClient(miner, FastOptions({{Url(a->port()), "w", "x", 0}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected; }));
  a->SendReconnect("evil.example.com", b->port(), 0);
  ASSERT_TRUE(WaitFor([&] { return client->Status().reconnects_refused == 1; }));
  EXPECT_EQ(client->Status().url, Url(a->port()));
  a->SendReconnect("127.0.0.1", b->port(), 0);
  ASSERT_TRUE(WaitFor([&] { return client->Status().url == Url(b->port()) && client->Status().connected; }));
  ASSERT_TRUE(WaitFor([&] { return b->Stats().sessions_open == 1; }));
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_EQ(b->Stats().accepted, 1u);
  client->Stop();
}

TEST(ReconnectTest, FailoverToBackupAndBackToThePrimary) {
  std::unique_ptr<pool::PoolServer> primary = StartPool();
  int primary_port = primary->port();
  primary->Stop();
  primary.reset();  // Down at start.
  std::unique_ptr<pool::PoolServer> backup = StartPool();
  Miner miner;
  std::unique_ptr<Client> client = StartClient(
      miner, FastOptions({{Url(backup->port()), "w", "x", 5}, {Url(primary_port), "w", "x", 0}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected; }));
  EXPECT_EQ(client->Status().url, Url(backup->port()));
  EXPECT_EQ(client->Status().pool_index, 1);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  primary = StartPool(kTinyDiff, primary_port);  // The primary comes back.
  ASSERT_NE(primary, nullptr);
  ASSERT_TRUE(WaitFor([&] { return client->Status().url == Url(primary_port); }));
  EXPECT_EQ(client->Status().pool_index, 0);
  ClientJob job = miner.last_job();
  EXPECT_TRUE(job.job.clean_jobs);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(job)).outcome, SubmitOutcome::kAccepted);
  EXPECT_EQ(primary->Stats().accepted, 1u);
  client->Stop();
}

TEST(ReconnectTest, StalledPoolIsDetectedAndTheClientFailsOverToTheBackup) {
  std::unique_ptr<pool::PoolServer> primary = StartPool();
  pool::PoolOptions bo;
  bo.listen_port = 0;
  bo.difficulty = kTinyDiff;
  bo.job_interval_s = 0.2;  // A live pool talks; only the stalled one goes quiet.
  bo.clean_every = 0;
  absl::StatusOr<std::unique_ptr<pool::PoolServer>> backup = pool::PoolServer::Start(bo);
  ASSERT_TRUE(backup.ok()) << backup.status();
  Miner miner;
  ClientOptions o = FastOptions(
      {{Url(primary->port()), "w", "x", 0}, {Url((*backup)->port()), "w", "x", 5}});
  o.session.stall_timeout = absl::Milliseconds(1500);
  o.primary_retry = absl::Seconds(30);  // Stay on the backup once there.
  std::unique_ptr<Client> client = StartClient(miner, o);
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected; }));
  EXPECT_EQ(client->Status().pool_index, 0);
  primary->SetStall(true);  // TCP stays open; nothing more comes from the primary.
  ASSERT_TRUE(WaitFor([&] { return client->Status().url == Url((*backup)->port()); }, 15000));
  EXPECT_TRUE(client->Status().connected);
  ClientJob job = miner.last_job();
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(job)).outcome,
            SubmitOutcome::kAccepted);
  EXPECT_EQ((*backup)->Stats().accepted, 1u);
  client->Stop();
}

TEST(ReconnectTest, RestartedPoolIsNotAResumeAndHeldSharesExpireAsPoolDown) {
  std::unique_ptr<pool::PoolServer> pool = StartPool();
  int port = pool->port();
  Miner miner;
  std::unique_ptr<Client> client = StartClient(miner, FastOptions({{Url(port), "w", "x", 0}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connected && miner.job_count() >= 1; }));
  ClientJob old_job = miner.last_job();
  pool->Stop();
  pool.reset();  // The pool process dies...
  ASSERT_TRUE(WaitFor([&] { return !client->Status().connected; }));
  auto result = std::make_shared<std::optional<SubmitResult>>();
  auto mu = std::make_shared<absl::Mutex>();
  client->Submit(Miner::FindShare(old_job), [result, mu](const SubmitResult& r) {
    absl::MutexLock l(mu.get());
    *result = r;
  });  // ...a share is found while it is down (held)...
  pool = StartPool(kTinyDiff, port);  // ...and a new process comes up on the same port.
  ASSERT_NE(pool, nullptr);
  ASSERT_TRUE(WaitFor([&] {
    absl::MutexLock l(mu.get());
    return result->has_value();
  }));
  absl::MutexLock l(mu.get());
  EXPECT_EQ((*result)->outcome, SubmitOutcome::kPoolDown) << (*result)->reason;
  EXPECT_FALSE((*result)->sent);
  EXPECT_FALSE(client->Status().resumed);
  ClientJob new_job = miner.last_job();
  EXPECT_NE(new_job.extranonce1, old_job.extranonce1);  // New epoch: new extranonce1...
  EXPECT_NE(new_job.job.job_id, old_job.job.job_id);    // ...and new job ids.
  EXPECT_TRUE(new_job.job.clean_jobs);
  EXPECT_EQ(pool->Stats().accepted, 0u);
  EXPECT_TRUE(pool->Stats().rejected.empty());  // The held share never reached the new pool.
  client->Stop();
}

TEST(ReconnectTest, GarbageAndOversizeLinesDropAndReconnect) {
  std::unique_ptr<pool::PoolServer> pool = StartPool();
  Miner miner;
  std::unique_ptr<Client> client = StartClient(miner, FastOptions({{Url(pool->port()), "w", "x", 0}}));
  ASSERT_TRUE(WaitFor([&] { return client->Status().connects == 1; }));
  pool->SendGarbage();
  ASSERT_TRUE(WaitFor([&] { return client->Status().connects == 2; }));
  EXPECT_THAT(client->Status().last_error, ::testing::HasSubstr("malformed JSON"));
  pool->SendOversize();
  ASSERT_TRUE(WaitFor([&] { return client->Status().connects == 3; }));
  EXPECT_THAT(client->Status().last_error, ::testing::HasSubstr("line longer"));
  pool->SendRaw("{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[-5]}\n");
  ASSERT_TRUE(WaitFor([&] { return client->Status().connects == 4; }));
  pool->SendRaw("{\"id\":12345,\"result\":true,\"error\":null}\n");  // Unknown id: ignored.
  pool->NewJob(false);
  ASSERT_TRUE(WaitFor([&] { return client->Status().unknown_responses == 1; }));
  EXPECT_EQ(client->Status().connects, 4u);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job())).outcome,
            SubmitOutcome::kAccepted);
  client->Stop();
}

TEST(ReconnectTest, TlsUrlAgainstAPlainPoolNeverFallsBackToPlaintext) {
  std::unique_ptr<pool::PoolServer> pool = StartPool();
  Miner miner;
  ClientOptions o = FastOptions({{"stratum+ssl://127.0.0.1:" + std::to_string(pool->port()), "w", "x", 0}});
  std::unique_ptr<Client> client = StartClient(miner, o);
  ASSERT_TRUE(WaitFor([&] { return !client->Status().last_error.empty(); }));
  EXPECT_THAT(client->Status().last_error, ::testing::HasSubstr("TLS"));
  EXPECT_FALSE(client->Status().connected);
  EXPECT_EQ(pool->Stats().accepted + pool->Stats().jobs * 0, 0u);
  client->Stop();
}

}  // namespace
}  // namespace synth::stratum::testing
