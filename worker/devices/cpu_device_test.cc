#include "worker/devices/cpu_device.h"

#include <atomic>
#include <vector>

#include "common/hash/cores.h"
#include "common/hash/dispatch.h"
#include "gtest/gtest.h"

namespace synth::worker {
namespace {

hash::ScanWork EasyWork(uint8_t seed) {
  uint8_t header[80];
  for (int i = 0; i < 80; ++i) header[i] = static_cast<uint8_t>(i * 13 + seed);
  hash::Target256 target;
  target.fill(0xffffffff);
  target[7] = 0x00ffffff;  // About one nonce in 256.
  return hash::MakeScanWork(header, target);
}

TEST(CpuDeviceTest, FindsEveryShareOfEveryWorkAcrossBatches) {
  const hash::HashCore* core = *hash::SelectCore("auto");
  CpuDevice device("cpu0", core, /*batch_nonces=*/1000);
  EXPECT_EQ(device.Info().name, "cpu0");
  EXPECT_EQ(device.Info().kind, DeviceKind::kCpu);
  EXPECT_EQ(device.Info().impl, core->Name());
  const std::vector<hash::ScanWork> works = {EasyWork(1), EasyWork(2)};
  const uint32_t start = 0xffffffffu - 4499;  // Ends at 2^32 - 1, 4500 nonces, 5 batches.
  std::vector<FoundNonce> found;
  absl::StatusOr<uint64_t> done = device.Scan(works, start, 4500, nullptr, &found);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(*done, 9000u);
  std::vector<uint32_t> got[2];
  for (const FoundNonce& f : found) got[f.work_index].push_back(f.nonce);
  for (int w = 0; w < 2; ++w) {
    EXPECT_EQ(got[w], hash::ReferenceScan(works[w], start, 4500));
    EXPECT_GT(got[w].size(), 5u);
  }
}

TEST(CpuDeviceTest, StopsWhenCancelled) {
  CpuDevice device("cpu1", &hash::ScalarCore(), 100);
  const std::vector<hash::ScanWork> works = {EasyWork(3)};
  std::atomic<bool> cancel{true};
  std::vector<FoundNonce> found;
  absl::StatusOr<uint64_t> done = device.Scan(works, 0, 1 << 20, &cancel, &found);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, 0u);
  EXPECT_TRUE(found.empty());
}

TEST(CpuDeviceTest, RejectsARangePast2To32) {
  CpuDevice device("cpu0", &hash::ScalarCore());
  const std::vector<hash::ScanWork> works = {EasyWork(4)};
  std::vector<FoundNonce> found;
  absl::StatusOr<uint64_t> done = device.Scan(works, 0xfffffff0u, 17, nullptr, &found);
  EXPECT_EQ(done.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace synth::worker
