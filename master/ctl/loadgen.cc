// synth-loadgen: many simulated workers speaking the real WorkerService protocol against one
// synth-master, to measure lease round-trips at scale (issue 5's scale bar).
//
//   synth-loadgen --master 127.0.0.1:4650 --workers 1000 --seconds 20 [--lease-ms 1000]
//                 [--channels 16] [--master-pid PID]
//
// Each simulated worker says Hello (one CPU device of --rate hashes/s), asks for a lease of
// --lease-ms of work, "hashes" it by waiting --lease-ms, reports every unit completed and asks
// again. It prints lease round-trip p50/p99/max (request sent → grant read), grants per second
// and, with --master-pid, the master's CPU use and RSS over the run.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <memory>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "synth/v1/worker.grpc.pb.h"

ABSL_FLAG(std::string, master, "127.0.0.1:4650", "synth-master address");
ABSL_FLAG(int, workers, 1000, "Simulated workers (one stream each)");
ABSL_FLAG(int, channels, 16, "gRPC channels the streams are spread over");
ABSL_FLAG(double, seconds, 20, "Measurement seconds (after all workers are connected)");
ABSL_FLAG(double, lease_ms, 1000, "Simulated hashing time per lease, milliseconds");
ABSL_FLAG(double, rate, 1e9, "Announced rate per simulated worker, hashes/s");
ABSL_FLAG(int, master_pid, 0, "synth-master PID for CPU and RSS figures (0: skip)");
ABSL_FLAG(std::string, token, "", "Bearer token");

namespace {

namespace v1 = synth::v1;

struct Stats {
  absl::Mutex mu;
  std::vector<double> rtt_ms ABSL_GUARDED_BY(mu);
  bool measuring ABSL_GUARDED_BY(mu) = false;
  int welcomed ABSL_GUARDED_BY(mu) = 0;
  int failed ABSL_GUARDED_BY(mu) = 0;
};

class SimWorker;

// Runs delayed sends (the simulated hashing time) on one thread.
class Timer {
 public:
  void At(absl::Time t, SimWorker* w) {
    absl::MutexLock lock(&mu_);
    q_.push({t, w});
  }
  void Run(const std::atomic<bool>* stop);

 private:
  struct Item {
    absl::Time t;
    SimWorker* w;
    bool operator>(const Item& o) const { return t > o.t; }
  };
  absl::Mutex mu_;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> q_ ABSL_GUARDED_BY(mu_);
};

class SimWorker : public grpc::ClientBidiReactor<v1::WorkerMessage, v1::MasterMessage> {
 public:
  SimWorker(int n, v1::WorkerService::Stub* stub, Stats* stats, Timer* timer)
      : n_(n), stats_(stats), timer_(timer) {
    std::string token = absl::GetFlag(FLAGS_token);
    if (!token.empty()) ctx_.AddMetadata("authorization", "Bearer " + token);
    stub->async()->Connect(&ctx_, this);
    v1::WorkerMessage hello;
    hello.mutable_hello()->set_worker_id(absl::StrCat("sim-", n));
    hello.mutable_hello()->set_hostname("loadgen");
    hello.mutable_hello()->set_protocol_version(1);
    v1::DeviceInfo* d = hello.mutable_hello()->add_devices();
    d->set_name("cpu0");
    d->set_kind(v1::DEVICE_KIND_CPU);
    d->set_benchmarked_rate_hps(absl::GetFlag(FLAGS_rate));
    Send(std::move(hello));
    StartRead(&in_);
    StartCall();
  }

  // Called by the timer: the lease is "hashed"; report it and ask again.
  void LeaseDone() {
    v1::WorkerMessage progress;
    for (uint64_t id : units_) {
      v1::UnitProgress* p = progress.mutable_progress()->add_units();
      p->set_unit_id(id);
      p->set_state(v1::UNIT_STATE_COMPLETED);
    }
    units_.clear();
    if (progress.progress().units_size() > 0) Send(std::move(progress));
    RequestLease();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (in_.has_welcome()) {
      absl::MutexLock lock(&stats_->mu);
      ++stats_->welcomed;
    }
    if (in_.has_welcome()) RequestLease();
    if (in_.has_lease_grant()) OnGrant(in_.lease_grant());
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    out_.pop_front();
    if (ok && !out_.empty()) StartWrite(&out_.front());
  }
  void OnDone(const grpc::Status& s) override {
    if (!s.ok()) {
      absl::MutexLock lock(&stats_->mu);
      ++stats_->failed;
    }
  }
  void Cancel() { ctx_.TryCancel(); }

 private:
  void RequestLease() {
    v1::WorkerMessage req;
    req.mutable_lease_request()->set_seconds_wanted(absl::GetFlag(FLAGS_lease_ms) / 1000);
    req.mutable_lease_request()->set_rate_hps(absl::GetFlag(FLAGS_rate));
    asked_ = absl::Now();
    Send(std::move(req));
  }
  void OnGrant(const v1::LeaseGrant& g) {
    double ms = absl::ToDoubleMilliseconds(absl::Now() - asked_);
    {
      absl::MutexLock lock(&stats_->mu);
      if (stats_->measuring) stats_->rtt_ms.push_back(ms);
    }
    for (const v1::WorkUnit& u : g.units()) units_.push_back(u.unit_id());
    timer_->At(absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_lease_ms)), this);
  }
  void Send(v1::WorkerMessage m) {
    absl::MutexLock lock(&mu_);
    out_.push_back(std::move(m));
    if (out_.size() == 1) StartWrite(&out_.front());
  }

  const int n_;
  Stats* const stats_;
  Timer* const timer_;
  grpc::ClientContext ctx_;
  v1::MasterMessage in_;
  absl::Time asked_;
  std::vector<uint64_t> units_;  // Read-chain and timer touch it at different times.
  absl::Mutex mu_;
  std::deque<v1::WorkerMessage> out_ ABSL_GUARDED_BY(mu_);
};

void Timer::Run(const std::atomic<bool>* stop) {
  while (!*stop) {
    std::vector<SimWorker*> due;
    {
      absl::MutexLock lock(&mu_);
      absl::Time now = absl::Now();
      while (!q_.empty() && q_.top().t <= now) {
        due.push_back(q_.top().w);
        q_.pop();
      }
    }
    for (SimWorker* w : due) w->LeaseDone();
    absl::SleepFor(absl::Milliseconds(1));
  }
}

// Returns (utime+stime seconds, RSS MiB) of `pid`.
std::pair<double, double> ProcUsage(int pid) {
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string tok;
  std::vector<std::string> f;
  while (stat >> tok) f.push_back(tok);
  double cpu = f.size() > 15 ? (std::stod(f[13]) + std::stod(f[14])) / sysconf(_SC_CLK_TCK) : 0;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  double rss = 0;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024;
  }
  return {cpu, rss};
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  int n = absl::GetFlag(FLAGS_workers);
  std::vector<std::unique_ptr<v1::WorkerService::Stub>> stubs;
  for (int c = 0; c < std::max(1, absl::GetFlag(FLAGS_channels)); ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);  // Distinct args: distinct connections.
    stubs.push_back(v1::WorkerService::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_master), grpc::InsecureChannelCredentials(), args)));
  }
  Stats stats;
  Timer timer;
  std::atomic<bool> stop{false};
  std::thread timer_thread([&] { timer.Run(&stop); });
  std::vector<std::unique_ptr<SimWorker>> workers;
  absl::Time t0 = absl::Now();
  for (int i = 0; i < n; ++i) {
    workers.push_back(
        std::make_unique<SimWorker>(i, stubs[i % stubs.size()].get(), &stats, &timer));
  }
  for (int i = 0; i < 600; ++i) {
    {
      absl::MutexLock lock(&stats.mu);
      if (stats.welcomed + stats.failed >= n) break;
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  double connect_s = absl::ToDoubleSeconds(absl::Now() - t0);
  int pid = absl::GetFlag(FLAGS_master_pid);
  auto before = pid > 0 ? ProcUsage(pid) : std::pair<double, double>{0, 0};
  {
    absl::MutexLock lock(&stats.mu);
    stats.measuring = true;
  }
  absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_seconds)));
  std::vector<double> rtt;
  int welcomed, failed;
  {
    absl::MutexLock lock(&stats.mu);
    stats.measuring = false;
    rtt = stats.rtt_ms;
    welcomed = stats.welcomed;
    failed = stats.failed;
  }
  auto after = pid > 0 ? ProcUsage(pid) : std::pair<double, double>{0, 0};
  double secs = absl::GetFlag(FLAGS_seconds);
  std::printf("workers %d connected %d failed %d (connect %.2f s)\n", n, welcomed, failed,
              connect_s);
  std::printf("grants %zu (%.0f/s)  rtt_ms p50 %.3f p99 %.3f max %.3f\n", rtt.size(),
              rtt.size() / secs, Percentile(rtt, 0.5), Percentile(rtt, 0.99), Percentile(rtt, 1.0));
  if (pid > 0) {
    std::printf("master cpu %.1f%% of one core, rss %.1f MiB\n",
                100 * (after.first - before.first) / secs, after.second);
  }
  for (auto& w : workers) w->Cancel();
  absl::SleepFor(absl::Milliseconds(500));
  stop = true;
  timer_thread.join();
  // Reactors are leaked on purpose: OnDone may still run on gRPC threads at exit.
  for (auto& w : workers) w.release();
  return 0;
}
