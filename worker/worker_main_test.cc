#include "worker/worker_main.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "worker/conn/fake_master.h"

namespace synth::worker {
namespace {

using ::testing::HasSubstr;

TEST(RunWorkerTest, HashesOnRealCpuDevicesAgainstAFakeMasterAndReports) {
  FakeMaster master({.units_per_grant = 2,
                     .unit_nonces = uint64_t{1} << 16,
                     .target_top_word = 0x0000ffff});
  ASSERT_TRUE(master.Start(0).ok());
  WorkerOptions options;
  options.master = master.Address();
  options.worker_id = "itest";
  options.devices.threads = 1;
  options.run_seconds = 1;
  options.status_seconds = 0;
  testing::internal::CaptureStdout();
  EXPECT_EQ(RunWorker(options), 0);
  std::string out = testing::internal::GetCapturedStdout();
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["worker_id"], "itest");
  // Loose bounds: sanitizer builds hash ~100x slower than release ones.
  EXPECT_GT(j["hashes"].get<uint64_t>(), uint64_t{1} << 16);
  // About one nonce in 65536 meets the target: a few shares even at sanitizer speed.
  EXPECT_GT(j["shares_accepted"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["shares_rejected"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["shares_master_lost"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["master"], master.Address());
  FakeMaster::Seen seen = master.Snapshot();
  ASSERT_EQ(seen.hellos.size(), 1u);
  EXPECT_EQ(seen.hellos[0].devices(0).name(), "cpu0");
  EXPECT_GT(seen.hellos[0].devices(0).benchmarked_rate_hps(), 1e4) << "calibration missing";
  EXPECT_FALSE(seen.progress.empty());
}

TEST(RunWorkerTest, BadOptionsAreClearErrors) {
  WorkerOptions options;
  options.master = "no-port";
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunWorker(options), 2);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("--master must be HOST:PORT"));
  options.master = "127.0.0.1:4650,backup";  // One entry of the list without a port.
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunWorker(options), 2);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("comma-separated"));
  options = WorkerOptions{};
  options.master = "a:1,b:2";
  options.master_failover_seconds = 0;
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunWorker(options), 2);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("--master-failover-seconds"));
  options = WorkerOptions{};
  options.master_keepalive_seconds = 5;  // synth-master would count it as ping abuse.
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunWorker(options), 2);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("--master-keepalive-seconds"));
  options = WorkerOptions{};
  options.batch_ms = 0;
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunWorker(options), 2);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("--batch-ms"));
  options = WorkerOptions{};
  options.devices.devices = "tpu";
  testing::internal::CaptureStderr();
  EXPECT_EQ(RunWorker(options), 2);
  EXPECT_THAT(testing::internal::GetCapturedStderr(), HasSubstr("tpu"));
}

}  // namespace
}  // namespace synth::worker
