#include "worker/devices/cpu_device.h"

#include <algorithm>
#include <atomic>
#include <span>
#include <string_view>
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

// Sibling midstates of version rolling: headers that differ only in the version.
std::vector<hash::ScanWork> Siblings(int n) {
  std::vector<hash::ScanWork> works;
  for (int v = 0; v < n; ++v) {
    hash::ScanWork w;
    uint8_t header[80];
    for (int i = 0; i < 80; ++i) header[i] = static_cast<uint8_t>(i * 17 + 9);
    header[2] = static_cast<uint8_t>(v << 5);
    hash::Target256 target;
    target.fill(0xffffffff);
    target[7] = 0x00ffffff;
    works.push_back(hash::MakeScanWork(header, target));
  }
  return works;
}

TEST(CpuDeviceTest, HashesSiblingsInLockstepRows) {
  for (const hash::HashCore* core : {&hash::ScalarCore(), *hash::SelectCore("auto")}) {
    CpuDevice device("cpu0", core, /*batch_nonces=*/700);
    EXPECT_EQ(device.MaxWorksPerScan(), core->MaxRow());
    const std::vector<hash::ScanWork> works = Siblings(4);
    std::vector<FoundNonce> found;
    absl::StatusOr<uint64_t> done = device.Scan(works, 1u << 31, 2500, nullptr, &found);
    ASSERT_TRUE(done.ok()) << done.status();
    EXPECT_EQ(*done, 4u * 2500);
    for (uint32_t w = 0; w < 4; ++w) {
      std::vector<uint32_t> got;
      for (const FoundNonce& f : found) {
        if (f.work_index == w) got.push_back(f.nonce);
      }
      std::sort(got.begin(), got.end());
      EXPECT_EQ(got, hash::ReferenceScan(works[w], 1u << 31, 2500)) << core->Name() << " " << w;
    }
  }
  EXPECT_EQ(CpuDevice("cpu0", &hash::ScalarCore()).MaxWorksPerScan(), hash::kMaxRowWorks);
}

// A core that raises `cancel` after `batches` ScanRow calls and records the ranges it hashed.
class CancellingCore final : public hash::HashCore {
 public:
  CancellingCore(std::atomic<bool>* cancel, int batches) : cancel_(cancel), batches_(batches) {}
  std::string_view Name() const override { return "cancelling"; }
  bool Supported() const override { return true; }
  void Scan(const hash::ScanWork&, uint32_t, uint64_t, std::vector<uint32_t>*) const override {}
  int MaxRow() const override { return 4; }
  void ScanRow(std::span<const hash::ScanWork> works, uint32_t start, uint64_t count,
               std::vector<hash::RowFound>* found) const override {
    for (uint32_t w = 0; w < works.size(); ++w) found->push_back({w, start});
    ends.push_back(uint64_t{start} + count);
    if (static_cast<int>(ends.size()) == batches_) cancel_->store(true);
  }
  mutable std::vector<uint64_t> ends;

 private:
  std::atomic<bool>* const cancel_;
  const int batches_;
};

TEST(CpuDeviceTest, ACancelledRowHasDoneTheSameNoncesOfEveryWork) {
  std::atomic<bool> cancel{false};
  CancellingCore core(&cancel, 3);
  CpuDevice device("cpu0", &core, /*batch_nonces=*/1000);
  const std::vector<hash::ScanWork> works = Siblings(4);
  std::vector<FoundNonce> found;
  absl::StatusOr<uint64_t> done = device.Scan(works, 5000, 100000, &cancel, &found);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(*done, 4u * 3000);  // Three batches of 1000 nonces of each of the 4 works.
  EXPECT_EQ(core.ends, (std::vector<uint64_t>{6000, 7000, 8000}));
  EXPECT_EQ(found.size(), 12u);
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
