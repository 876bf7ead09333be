// File: master/service/two_pool_cluster.h
//
// Test-only: a Cluster mining two fake pools at once through a SplitUpstream (docs/CLUSTER.md
// "Pool split"), on a fake clock. A test fixture derives from it:
//
//   class MySplitTest : public ::testing::Test, protected TwoPoolCluster {
//    protected:
//     MySplitTest() : TwoPoolCluster(SplitOptions("70,30"), start) {}
//   };
//   a_->Notify(job_of_pool_0);
//   b_->Notify(job_of_pool_1);
#ifndef SYNTH_MASTER_SERVICE_TWO_POOL_CLUSTER_H_
#define SYNTH_MASTER_SERVICE_TWO_POOL_CLUSTER_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "gtest/gtest.h"
#include "master/jobs/fake_upstream.h"
#include "master/jobs/split_upstream.h"
#include "master/lease/pool_split.h"
#include "master/service/cluster.h"

namespace synth::service {

class TwoPoolCluster {
 protected:
  TwoPoolCluster(Cluster::Options options, absl::Time start)
      : clock_(start), upstream_(TwoPools(&a_, &b_)), cluster_(options, &clock_, upstream_.get()) {
    upstream_->Start([this](const jobs::UpstreamJob& j) { cluster_.OnJob(j); });
  }

  // Returns Cluster options (no status line) with the split of `weights` and `schedule`
  // (--weights, --schedule; "" for none) over the two pools.
  static Cluster::Options SplitOptions(const std::string& weights,
                                       const std::string& schedule = "") {
    Cluster::Options o;
    o.status_every = absl::ZeroDuration();
    absl::StatusOr<std::optional<lease::PoolSplitConfig>> split =
        lease::ParseSplitFlags({.weights = weights, .schedule = schedule}, 2);
    EXPECT_TRUE(split.ok()) << split.status();
    if (split.ok()) o.split = *split;
    return o;
  }

  FakeClock clock_;
  jobs::FakeUpstream* a_ = nullptr;  // Pool 0.
  jobs::FakeUpstream* b_ = nullptr;  // Pool 1.
  std::unique_ptr<jobs::SplitUpstream> upstream_;
  Cluster cluster_;

 private:
  static std::unique_ptr<jobs::SplitUpstream> TwoPools(jobs::FakeUpstream** a,
                                                       jobs::FakeUpstream** b) {
    std::vector<std::unique_ptr<jobs::Upstream>> pools;
    pools.push_back(std::make_unique<jobs::FakeUpstream>());
    pools.push_back(std::make_unique<jobs::FakeUpstream>());
    *a = static_cast<jobs::FakeUpstream*>(pools[0].get());
    *b = static_cast<jobs::FakeUpstream*>(pools[1].get());
    return std::make_unique<jobs::SplitUpstream>(std::move(pools));
  }
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_TWO_POOL_CLUSTER_H_
