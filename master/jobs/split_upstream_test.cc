#include "master/jobs/split_upstream.h"

#include <memory>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/test_jobs.h"

namespace synth::jobs {
namespace {

struct Split {
  FakeUpstream* a = nullptr;
  FakeUpstream* b = nullptr;
  std::unique_ptr<SplitUpstream> up;
};

Split MakeSplit() {
  Split s;
  std::vector<std::unique_ptr<Upstream>> pools;
  auto a = std::make_unique<FakeUpstream>();
  auto b = std::make_unique<FakeUpstream>();
  s.a = a.get();
  s.b = b.get();
  pools.push_back(std::move(a));
  pools.push_back(std::move(b));
  s.up = std::make_unique<SplitUpstream>(std::move(pools));
  return s;
}

TEST(SplitUpstreamTest, JobsAreTaggedWithTheirPool) {
  Split s = MakeSplit();
  std::vector<std::pair<std::string, size_t>> seen;
  s.up->Start([&](const UpstreamJob& j) { seen.emplace_back(j.notify.job_id, j.pool); });
  s.b->Notify(TestJob("b1"));
  s.a->Notify(TestJob("a1"));
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(std::string("b1"), size_t{1}));
  EXPECT_EQ(seen[1], std::make_pair(std::string("a1"), size_t{0}));
}

TEST(SplitUpstreamTest, SharesGoToTheirJobsPool) {
  Split s = MakeSplit();
  s.up->Start([](const UpstreamJob&) {});
  int answered = 0;
  s.up->Submit({.job_id = "b1", .pool = 1}, [&](const SubmitResult& r) {
    EXPECT_TRUE(r.accepted);
    ++answered;
  });
  s.up->Submit({.job_id = "x", .pool = 7}, [&](const SubmitResult& r) {
    EXPECT_TRUE(r.not_sent);  // No such pool: answered, never lost.
    ++answered;
  });
  EXPECT_EQ(answered, 2);
  EXPECT_TRUE(s.a->submitted().empty());
  ASSERT_EQ(s.b->submitted().size(), 1u);
  EXPECT_EQ(s.b->submitted()[0].job_id, "b1");
}

TEST(SplitUpstreamTest, EveryPoolIsListedAndNoneCanBeSwitchedTo) {
  Split s = MakeSplit();
  std::vector<UpstreamPool> pools = s.up->Pools();
  ASSERT_EQ(pools.size(), 2u);
  EXPECT_EQ(pools[0].index, 0);
  EXPECT_EQ(pools[1].index, 1);
  EXPECT_TRUE(pools[1].active);
  EXPECT_TRUE(s.up->Connected(1));
  EXPECT_FALSE(s.up->Connected(2));
  EXPECT_EQ(s.up->SwitchPool(1).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.up->Info().url, "stratum+tcp://fake:1,stratum+tcp://fake:1");
}

}  // namespace
}  // namespace synth::jobs
