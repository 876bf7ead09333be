#include "worker/devices/registry.h"

#include "gtest/gtest.h"

namespace synth::worker {
namespace {

TEST(RegistryTest, ParsesDeviceSelections) {
  absl::StatusOr<DeviceSelection> s = ParseDeviceSelection("cpu");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->cpu);
  EXPECT_FALSE(s->cuda);
  s = ParseDeviceSelection("all");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->cpu && s->cuda);
  EXPECT_EQ(s->cuda_ordinals, "all");
  EXPECT_FALSE(s->cuda_required);  // "all" means whatever GPUs there are, maybe none.
  s = ParseDeviceSelection("cuda:0,1");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->cpu);
  EXPECT_EQ(s->cuda_ordinals, "0,1");
  EXPECT_TRUE(s->cuda_required);
  s = ParseDeviceSelection("cpu,cuda:2");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->cpu && s->cuda);
  EXPECT_EQ(s->cuda_ordinals, "2");
}

TEST(RegistryTest, RejectsBadSelections) {
  for (const char* bad : {"", "gpu", "cuda:", "cuda:x", "cuda:0,,1", "cpu,cpu", "cuda:-1"}) {
    absl::StatusOr<DeviceSelection> s = ParseDeviceSelection(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find("--devices"), std::string::npos);
  }
}

TEST(RegistryTest, CreatesOneCpuDevicePerThread) {
  absl::StatusOr<std::vector<std::unique_ptr<Device>>> devices =
      CreateDevices({.devices = "cpu", .threads = 3, .hash_core = "scalar"});
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_EQ(devices->size(), 3u);
  EXPECT_EQ((*devices)[2]->Info().name, "cpu2");
  EXPECT_EQ((*devices)[0]->Info().impl, "scalar");
  EXPECT_GE(ResolveThreads(0), 1);
}

TEST(RegistryTest, FallsBackToCpuWithoutGpus) {
#ifndef SYNTH_HAVE_CUDA
  absl::StatusOr<std::vector<std::unique_ptr<Device>>> devices =
      CreateDevices({.devices = "cuda", .threads = 1});
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_EQ(devices->size(), 1u);
  EXPECT_EQ((*devices)[0]->Info().kind, DeviceKind::kCpu);
  devices = CreateDevices({.devices = "all", .threads = 2});
  ASSERT_TRUE(devices.ok()) << devices.status();
  EXPECT_EQ(devices->size(), 2u);
#else
  GTEST_SKIP() << "built with CUDA; the fallback depends on the machine";
#endif
}

TEST(RegistryTest, RejectsBadThreadsAndCores) {
  EXPECT_EQ(CreateDevices({.threads = -1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateDevices({.hash_core = "nope"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace synth::worker
