// mining.extranonce.subscribe against pools that ignore it: one that, like ckpool, never
// answers requests of a client that is not authorized yet, and one that never answers it at
// all. The client asks only after authorize succeeded and takes silence as "no extension".
#include "gtest/gtest.h"
#include "tests/stratum/harness.h"

namespace synth::stratum::testing {
namespace {

std::unique_ptr<pool::PoolServer> StartPoolWith(pool::ExtranonceSubscribeMode mode) {
  pool::PoolOptions o;
  o.listen_port = 0;
  o.difficulty = kTinyDiff;
  o.job_interval_s = 0;
  o.extranonce_subscribe = mode;
  absl::StatusOr<std::unique_ptr<pool::PoolServer>> p = pool::PoolServer::Start(o);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? std::move(*p) : nullptr;
}

std::unique_ptr<Client> StartClient(Miner& miner, int port) {
  return testing::StartClient(miner, FastOptions({{Url(port), "alice.w1", "x", 0}}));
}

TEST(ExtranonceSubscribeTest, ACkpoolStylePoolAnswersItAndSendsExtranonceChanges) {
  std::unique_ptr<pool::PoolServer> pool =
      StartPoolWith(pool::ExtranonceSubscribeMode::kAfterAuthorize);
  ASSERT_NE(pool, nullptr);
  Miner miner;
  std::unique_ptr<Client> client = StartClient(miner, pool->port());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(WaitFor([&] { return pool->Stats().extranonce_subscribes == 1; }))
      << "the subscription was sent before authorize and ignored ("
      << pool->Stats().extranonce_ignored << " ignored)";
  EXPECT_EQ(pool->Stats().extranonce_ignored, 0u);
  ClientJob before = miner.last_job();
  pool->ChangeExtranonce();
  pool->NewJob(/*clean=*/false);
  ASSERT_TRUE(WaitFor([&] { return miner.job_count() >= 2; }));
  ClientJob after = miner.last_job();
  EXPECT_NE(after.extranonce1, before.extranonce1) << "mining.set_extranonce never came";
  EXPECT_EQ(client->Status().extranonce_updates, Session::ExtranonceUpdates::kOn);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(after, 3)).outcome,
            SubmitOutcome::kAccepted);
  client->Stop();
}

TEST(ExtranonceSubscribeTest, APoolThatNeverAnswersItIsMinedWithoutTheExtension) {
  std::unique_ptr<pool::PoolServer> pool = StartPoolWith(pool::ExtranonceSubscribeMode::kIgnore);
  ASSERT_NE(pool, nullptr);
  Miner miner;
  std::unique_ptr<Client> client = StartClient(miner, pool->port());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(WaitFor([&] { return pool->Stats().extranonce_ignored == 1; }));
  // Past the request timeout (2 s in FastOptions) the session takes the silence as "no
  // extension" and keeps mining; the status shows it with the next job.
  ASSERT_TRUE(WaitFor(
      [&] {
        pool->NewJob(/*clean=*/false);
        return client->Status().extranonce_updates == Session::ExtranonceUpdates::kUnsupported;
      },
      15000));
  ClientStatus s = client->Status();
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.disconnects, 0u) << "an unanswered optional request must not drop the session";
  EXPECT_EQ(s.connects, 1u);
  EXPECT_EQ(Miner::SubmitAndWait(*client, Miner::FindShare(miner.last_job(), 4)).outcome,
            SubmitOutcome::kAccepted);
  client->Stop();
}

}  // namespace
}  // namespace synth::stratum::testing
