// The watchdog against a real hung GPU (label gpu; skipped without one): a kernel that spins on
// every multiprocessor keeps the scanner's launches from starting; the scheduler's watchdog must
// return the unit, abandon the launch, reset the GPU into a fresh context, re-test it, and hash
// the next unit with results equal to the CPU reference.
#include <memory>
#include <set>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "kernels/gpu_scanner.h"
#include "worker/devices/cuda_device.h"
#include "worker/devices/testing/gpu_spinner.h"
#include "worker/scheduler/scheduler.h"

namespace synth::worker {
namespace {

TEST(CudaHangTest, AHungGpuIsResetRetestedAndHashesAgain) {
  absl::StatusOr<int> gpus = kernels::CountGpus();
  ASSERT_TRUE(gpus.ok()) << gpus.status();
  if (*gpus == 0) GTEST_SKIP() << "no CUDA GPU or driver on this machine";
  absl::StatusOr<std::vector<std::unique_ptr<Device>>> devices = CreateCudaDevices("0");
  ASSERT_TRUE(devices.ok()) << devices.status();

  absl::Mutex mu;
  std::vector<UnitOutcome> outcomes;
  std::vector<FoundShare> shares;
  SchedulerOptions o;
  o.watchdog.min_timeout = absl::Seconds(2);
  SchedulerCallbacks cb;
  cb.on_unit_done = [&](UnitOutcome u) {
    absl::MutexLock lock(&mu);
    outcomes.push_back(u);
  };
  cb.on_share = [&](FoundShare s) {
    absl::MutexLock lock(&mu);
    shares.push_back(s);
  };
  Scheduler sched(*std::move(devices), o, cb);
  sched.Start();

  volatile int* stop = nullptr;
  ASSERT_EQ(testing::StartGpuSpinner(0, &stop), 0) << "could not start the spinning kernel";
  auto work = std::make_shared<hash::ScanWork>();
  for (int i = 0; i < 8; ++i) work->midstate[i] = 0x01234567u * (i + 3);
  work->target.fill(0xffffffff);
  work->target[7] = 0x000fffff;  // About one nonce in 4096.
  ASSERT_TRUE(sched.AddUnits({{1, "job", 10, work, 0, 1 << 22}}).ok());
  auto count = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return outcomes.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(120));
  };
  ASSERT_TRUE(count(1)) << "the hung unit was not returned";
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(outcomes[0].state, UnitState::kReturned);
    shares.clear();
  }
  // The reset killed the spinner (do not touch `stop` after it: its memory died with the
  // context). The next unit runs on a fresh, self-tested context.
  ASSERT_TRUE(sched.AddUnits({{2, "job", 20, work, 0, 1 << 20}}).ok());
  ASSERT_TRUE(count(2)) << "the GPU did not come back";
  std::vector<DeviceStats> stats = sched.Stats();
  EXPECT_FALSE(stats[0].hung);
  EXPECT_EQ(stats[0].hangs, 1u);
  std::set<uint32_t> want, have;
  for (uint32_t n = 0; n < (1u << 20); ++n) {
    if (hash::MeetsTarget(hash::HashNonce(*work, n), work->target)) want.insert(n);
  }
  absl::MutexLock lock(&mu);
  EXPECT_EQ(outcomes[1].state, UnitState::kCompleted);
  for (const FoundShare& s : shares) {
    if (s.unit_id == 2) have.insert(s.nonce);
  }
  EXPECT_EQ(have, want);
}

}  // namespace
}  // namespace synth::worker
