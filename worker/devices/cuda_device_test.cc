// CreateCudaDevices selection handling (runs everywhere) and the CUDA Device's exact found sets
// against the scalar reference, including block 125552 (skipped without a GPU).
#include "worker/devices/cuda_device.h"

#include <algorithm>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "common/hash/scan.h"
#include "common/hash/sha256.h"
#include "gtest/gtest.h"
#include "kernels/gpu_scanner.h"

namespace synth::worker {
namespace {

int Gpus() {
  absl::StatusOr<int> n = kernels::CountGpus();
  EXPECT_TRUE(n.ok()) << n.status();
  return n.ok() ? *n : 0;
}

TEST(CreateCudaDevicesTest, AllIsEmptyWithoutGpuAndOnePerGpuWithOne) {
  absl::StatusOr<std::vector<std::unique_ptr<Device>>> d = CreateCudaDevices("all");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->size(), static_cast<size_t>(Gpus()));
  for (size_t i = 0; i < d->size(); ++i) {
    EXPECT_EQ((*d)[i]->Info().kind, DeviceKind::kCuda);
    EXPECT_EQ((*d)[i]->Info().name, "cuda" + std::to_string(i));
  }
}

TEST(CreateCudaDevicesTest, BadSelectionIsInvalidArgument) {
  for (const char* bad : {"", "x", "0,,1", "-1", "0,0", "1.5", "all,0", "99999"}) {
    EXPECT_EQ(CreateCudaDevices(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(CreateCudaDevicesTest, MissingOrdinalIsNotFound) {
  const std::string missing = std::to_string(Gpus());
  EXPECT_EQ(CreateCudaDevices(missing).status().code(), absl::StatusCode::kNotFound);
}

class CudaDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Gpus() == 0) GTEST_SKIP() << "no CUDA GPU or driver on this machine";
    absl::StatusOr<std::vector<std::unique_ptr<Device>>> d = CreateCudaDevices("0");
    ASSERT_TRUE(d.ok()) << d.status();
    ASSERT_EQ(d->size(), 1u);
    gpu_ = std::move(d->front());
  }
  std::unique_ptr<Device> gpu_;
};

std::set<std::pair<uint32_t, uint32_t>> Found(Device& d, std::span<const hash::ScanWork> works,
                                              uint32_t start, uint64_t count) {
  std::vector<FoundNonce> found;
  absl::StatusOr<uint64_t> done = d.Scan(works, start, count, nullptr, &found);
  EXPECT_TRUE(done.ok()) << done.status();
  if (done.ok()) {
    EXPECT_EQ(*done, count * works.size());
  }
  std::set<std::pair<uint32_t, uint32_t>> out;
  for (const FoundNonce& f : found) EXPECT_TRUE(out.insert({f.work_index, f.nonce}).second);
  return out;
}

TEST_F(CudaDeviceTest, ExactFoundSetsWithVersionRolling) {
  std::mt19937 rng(42);
  uint8_t header[80];
  for (uint8_t& b : header) b = static_cast<uint8_t>(rng());
  hash::Target256 target{};
  for (uint32_t& w : target) w = rng();
  target[7] = 0x0007ffff;  // Easy: ~2^-13, many top-word ties re-checked on the host.
  std::vector<hash::ScanWork> works;
  for (int v = 0; v < 5; ++v) {
    header[1] = static_cast<uint8_t>(v);  // Rolled version bits.
    works.push_back(hash::MakeScanWork(header, target));
  }
  const uint32_t start = 0xfffc0000u;
  const uint64_t count = 0x40000;  // Ends at 2^32 - 1.
  std::set<std::pair<uint32_t, uint32_t>> want;
  for (uint32_t m = 0; m < works.size(); ++m) {
    for (uint64_t i = 0; i < count; ++i) {
      const uint32_t n = start + static_cast<uint32_t>(i);
      if (hash::MeetsTarget(hash::HashNonce(works[m], n), target)) want.insert({m, n});
    }
  }
  EXPECT_GT(want.size(), 10u);
  EXPECT_EQ(Found(*gpu_, works, start, count), want);
}

TEST_F(CudaDeviceTest, FindsBlock125552) {
  // Header of block 125552 (Bitcoin Wiki "Block hashing algorithm"), internal byte order.
  const uint8_t prev_display[32] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0xa3,
                                    0xa4, 0x1b, 0x85, 0xb8, 0xb2, 0x9a, 0xd4, 0x44,
                                    0xde, 0xf2, 0x99, 0xfe, 0xe2, 0x17, 0x93, 0xcd,
                                    0x8b, 0x9e, 0x56, 0x7e, 0xab, 0x02, 0xcd, 0x81};
  const uint8_t merkle_display[32] = {0x2b, 0x12, 0xfc, 0xf1, 0xb0, 0x92, 0x88, 0xfc,
                                      0xaf, 0xf7, 0x97, 0xd7, 0x1e, 0x95, 0x0e, 0x71,
                                      0xae, 0x42, 0xb9, 0x1e, 0x8b, 0xdb, 0x23, 0x04,
                                      0x75, 0x8d, 0xfc, 0xff, 0xc2, 0xb6, 0x20, 0xe3};
  uint8_t h[80] = {0x01, 0, 0, 0};
  for (int i = 0; i < 32; ++i) {
    h[4 + i] = prev_display[31 - i];
    h[36 + i] = merkle_display[31 - i];
  }
  const uint32_t fields[3] = {0x4dd7f5c7, 0x1a44b9f2, 0x9546a142};  // ntime, nbits, nonce.
  for (int f = 0; f < 3; ++f) {
    for (int b = 0; b < 4; ++b) h[68 + 4 * f + b] = static_cast<uint8_t>(fields[f] >> (8 * b));
  }
  ASSERT_EQ(hash::Sha256d(h)[31], 0x00);  // Sanity: the real header.
  const hash::Target256 diff1 = {0, 0, 0, 0, 0, 0, 0xffff0000u, 0};
  const hash::ScanWork works[1] = {hash::MakeScanWork(h, diff1)};
  const uint32_t nonce = 0x9546a142;
  const std::set<std::pair<uint32_t, uint32_t>> want = {{0u, nonce}};
  EXPECT_EQ(Found(*gpu_, works, nonce - (1 << 20), 1 << 21), want);
}

TEST_F(CudaDeviceTest, TelemetryReadingsArePlausible) {
  DeviceTelemetry t = gpu_->Telemetry();
  EXPECT_GT(t.temperature_c.value_or(1), 0);
  EXPECT_LT(t.temperature_c.value_or(1), 120);
  EXPECT_LT(t.sm_clock_mhz.value_or(1), 5000);
  EXPECT_LE(t.utilization_pct.value_or(1), 100);
  std::cout << "telemetry: temp " << t.temperature_c.value_or(-1) << " C, power "
            << t.power_w.value_or(-1) << " W, SM " << t.sm_clock_mhz.value_or(-1) << " MHz, util "
            << t.utilization_pct.value_or(-1) << " %\n";
}

}  // namespace
}  // namespace synth::worker
