// File: master/jobs/fake_upstream.h
//
// A test Upstream: jobs are pushed by the test with Notify(); submits are recorded and answered
// at once with `answer` (accepted by default), or held when hold_answers is set.
//
//   FakeUpstream up;
//   up.Start([&](const UpstreamJob& j) { cluster.OnJob(j); });
//   up.Notify(TestJob("a"));
//   EXPECT_EQ(up.submitted().size(), 1u);
#ifndef SYNTH_MASTER_JOBS_FAKE_UPSTREAM_H_
#define SYNTH_MASTER_JOBS_FAKE_UPSTREAM_H_

#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "master/jobs/upstream.h"

namespace synth::jobs {

class FakeUpstream : public Upstream {
 public:
  void Start(JobCallback on_job) override {
    absl::MutexLock lock(&mu_);
    on_job_ = std::move(on_job);
  }
  void Stop() override {}
  void Submit(const UpstreamShare& share, SubmitCallback done) override {
    SubmitResult r;
    {
      absl::MutexLock lock(&mu_);
      submitted_.push_back(share);
      if (hold_answers_) {
        held_.push_back(std::move(done));
        return;
      }
      r = answer_;
    }
    done(r);
  }
  UpstreamInfo Info() const override {
    absl::MutexLock lock(&mu_);
    return {"stratum+tcp://fake:1", connected_};
  }
  void SetNominalHashrate(double hashes_per_second) override {
    absl::MutexLock lock(&mu_);
    nominal_.push_back(hashes_per_second);
  }
  // Every rate SetNominalHashrate was told, in order.
  std::vector<double> nominal() const {
    absl::MutexLock lock(&mu_);
    return nominal_;
  }
  // What Info() says of the connection (connected by default).
  void set_connected(bool connected) {
    absl::MutexLock lock(&mu_);
    connected_ = connected;
  }

  // Delivers a job as the pool would.
  void Notify(const UpstreamJob& job) {
    JobCallback cb;
    {
      absl::MutexLock lock(&mu_);
      cb = on_job_;
    }
    if (cb) cb(job);
  }
  void set_answer(SubmitResult r) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(r);
  }
  void set_hold_answers(bool hold) {
    absl::MutexLock lock(&mu_);
    hold_answers_ = hold;
  }
  // Answers every held submit with `r`.
  void Release(const SubmitResult& r) {
    std::vector<SubmitCallback> held;
    {
      absl::MutexLock lock(&mu_);
      held.swap(held_);
    }
    for (auto& cb : held) cb(r);
  }
  std::vector<UpstreamShare> submitted() const {
    absl::MutexLock lock(&mu_);
    return submitted_;
  }

 private:
  mutable absl::Mutex mu_;
  JobCallback on_job_ ABSL_GUARDED_BY(mu_);
  SubmitResult answer_ ABSL_GUARDED_BY(mu_){.accepted = true};
  bool hold_answers_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = true;
  std::vector<SubmitCallback> held_ ABSL_GUARDED_BY(mu_);
  std::vector<UpstreamShare> submitted_ ABSL_GUARDED_BY(mu_);
  std::vector<double> nominal_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_FAKE_UPSTREAM_H_
