#include "common/hash/dispatch.h"

#include "common/hash/cores.h"
#include "common/hash/cpu_features.h"
#include "gtest/gtest.h"

namespace synth::hash {
namespace {

TEST(DispatchTest, ListsEveryCoreBestFirst) {
  EXPECT_EQ(CoreNames(), "avx512-sha,avx512-sha2,avx512-sha1,avx512,sha-ni,avx2,scalar");
  for (const HashCore* core : AllCores()) EXPECT_EQ(FindCore(core->Name()), core);
  EXPECT_EQ(FindCore("sha-ni-plain"), nullptr);  // Baselines are not dispatchable.
}

TEST(DispatchTest, AutoPicksTheFastestMeasuredCore) {
  absl::StatusOr<const HashCore*> core = SelectCore("auto");
  ASSERT_TRUE(core.ok()) << core.status();
  const std::vector<CoreTiming>& measured = MeasuredCores();
  ASSERT_EQ(measured.size(), UsableCores().size());
  EXPECT_EQ(*core, measured.front().core);
  for (size_t i = 0; i < measured.size(); ++i) {
    EXPECT_GT(measured[i].hashes_per_second, 0) << measured[i].core->Name();
    if (i > 0) {
      EXPECT_GE(measured[i - 1].hashes_per_second, measured[i].hashes_per_second);
    }
  }
  EXPECT_EQ(&MeasuredCores(), &measured);  // Timed once, cached.
  EXPECT_EQ(*SelectCore(""), *core);
  EXPECT_EQ(UsableCores().back()->Name(), "scalar");
}

TEST(DispatchTest, ForcesACoreByName) {
  absl::StatusOr<const HashCore*> core = SelectCore("scalar");
  ASSERT_TRUE(core.ok());
  EXPECT_EQ((*core)->Name(), "scalar");
  for (const HashCore* c : AllCores()) {
    absl::StatusOr<const HashCore*> forced = SelectCore(c->Name());
    if (c->Supported()) {
      EXPECT_TRUE(forced.ok()) << forced.status();
    } else {
      EXPECT_EQ(forced.status().code(), absl::StatusCode::kFailedPrecondition);
    }
  }
}

TEST(DispatchTest, UnknownNameIsInvalidArgumentListingTheCores) {
  absl::StatusOr<const HashCore*> core = SelectCore("avx1024");
  ASSERT_EQ(core.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(core.status().message().find(
                "known: auto,avx512-sha,avx512-sha2,avx512-sha1,avx512,sha-ni,avx2,scalar"),
            std::string::npos);
}

TEST(DispatchTest, SupportMatchesCpuFeatures) {
  const CpuFeatures& cpu = DetectCpuFeatures();
  EXPECT_EQ(ShaNiCore().Supported(), cpu.sha_ni);
  EXPECT_EQ(Avx2Core().Supported(), cpu.avx2);
  EXPECT_EQ(Avx512Core().Supported(), cpu.avx512);
  EXPECT_TRUE(ScalarCore().Supported());
  EXPECT_FALSE(cpu.brand.empty());
  for (const HashCore* core : AllCores()) {
    if (core->Supported()) {
      EXPECT_TRUE(SelfTest(*core).ok()) << core->Name();
    }
  }
}

}  // namespace
}  // namespace synth::hash
