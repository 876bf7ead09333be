// synth-loadgen: many simulated workers speaking the real WorkerService protocol against one
// synth-master, to measure lease round-trips at scale (docs/BENCHMARKS.md, scale).
//
//   synth-loadgen --master=127.0.0.1:4650 --workers=1000 --seconds=20 [--lease_ms=1000]
//                 [--channels=16] [--master_pid=PID] [--sweep=250,500,1000,2000]
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
#include <cstdlib>
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
#include "absl/strings/str_split.h"
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
ABSL_FLAG(std::string, sweep, "",
          "Comma list of worker counts, one round each (overrides --workers)");

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
  SimWorker(const std::string& id, v1::WorkerService::Stub* stub, Stats* stats, Timer* timer)
      : stats_(stats), timer_(timer) {
    std::string token = absl::GetFlag(FLAGS_token);
    if (!token.empty()) ctx_.AddMetadata("authorization", "Bearer " + token);
    stub->async()->Connect(&ctx_, this);
    AddHold();  // Released once no more writes will start (Stop or reads ended).
    v1::WorkerMessage hello;
    hello.mutable_hello()->set_worker_id(id);
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
    {
      absl::MutexLock lock(&mu_);
      for (uint64_t id : units_) {
        v1::UnitProgress* p = progress.mutable_progress()->add_units();
        p->set_unit_id(id);
        p->set_state(v1::UNIT_STATE_COMPLETED);
      }
      units_.clear();
      hashing_ = false;
    }
    if (progress.progress().units_size() > 0) Send(std::move(progress));
    RequestLease();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Stop();
      return;
    }
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
    if (ok && !dead_ && !out_.empty()) StartWrite(&out_.front());
  }
  void OnDone(const grpc::Status& s) override {
    if (!s.ok()) {
      absl::MutexLock lock(&stats_->mu);
      ++stats_->failed;
    }
  }
  // Ends the stream: no write starts after this.
  void Cancel() {
    Stop();
    ctx_.TryCancel();
  }

 private:
  void RequestLease() {
    v1::WorkerMessage req;
    req.mutable_lease_request()->set_seconds_wanted(absl::GetFlag(FLAGS_lease_ms) / 1000);
    req.mutable_lease_request()->set_rate_hps(absl::GetFlag(FLAGS_rate));
    asked_ = absl::Now();
    asked_pending_ = true;
    Send(std::move(req));
  }
  void OnGrant(const v1::LeaseGrant& g) {
    // Only a grant that answers an outstanding request is a round-trip (pushes after a clean
    // job answer one too when it is outstanding, per the protocol).
    if (asked_pending_.exchange(false)) {
      double ms = absl::ToDoubleMilliseconds(absl::Now() - asked_);
      absl::MutexLock lock(&stats_->mu);
      if (stats_->measuring) stats_->rtt_ms.push_back(ms);
    }
    {
      absl::MutexLock lock(&mu_);
      for (const v1::WorkUnit& u : g.units()) units_.push_back(u.unit_id());
      if (hashing_) return;  // An unsolicited grant (clean job) joins the lease in progress.
      hashing_ = true;
    }
    timer_->At(absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_lease_ms)), this);
  }
  void Send(v1::WorkerMessage m) {
    absl::MutexLock lock(&mu_);
    if (dead_) return;
    out_.push_back(std::move(m));
    if (out_.size() == 1) StartWrite(&out_.front());
  }
  void Stop() {
    absl::MutexLock lock(&mu_);
    if (dead_) return;
    dead_ = true;
    RemoveHold();
  }

  Stats* const stats_;
  Timer* const timer_;
  grpc::ClientContext ctx_;
  v1::MasterMessage in_;
  absl::Time asked_;
  std::atomic<bool> asked_pending_{false};
  std::vector<uint64_t> units_ ABSL_GUARDED_BY(mu_);  // Leased, not yet reported.
  bool hashing_ ABSL_GUARDED_BY(mu_) = false;         // A LeaseDone is scheduled.
  absl::Mutex mu_;
  std::deque<v1::WorkerMessage> out_ ABSL_GUARDED_BY(mu_);
  bool dead_ ABSL_GUARDED_BY(mu_) = false;
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

// One round: `n` simulated workers for --seconds; prints one table row.
void RunRound(int round, int n, const std::vector<std::unique_ptr<v1::WorkerService::Stub>>& stubs,
              Timer* timer) {
  Stats stats;
  std::vector<SimWorker*> workers;  // Leaked on purpose: OnDone may run on gRPC threads later.
  absl::Time t0 = absl::Now();
  for (int i = 0; i < n; ++i) {
    workers.push_back(new SimWorker(absl::StrCat("sim-", round, "-", i),
                                    stubs[i % stubs.size()].get(), &stats, timer));
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
  double secs = absl::GetFlag(FLAGS_seconds);
  absl::SleepFor(absl::Seconds(secs));
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
  std::printf("%8d %9d %6d %9.2f %9.0f %9.3f %9.3f %9.3f %9.1f %9.1f\n", n, welcomed, failed,
              connect_s, rtt.size() / secs, Percentile(rtt, 0.5), Percentile(rtt, 0.99),
              Percentile(rtt, 1.0), pid > 0 ? 100 * (after.first - before.first) / secs : 0.0,
              after.second);
  std::fflush(stdout);
  for (SimWorker* w : workers) w->Cancel();
  absl::SleepFor(absl::Seconds(1));  // Let the master see the streams go.
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::vector<std::unique_ptr<v1::WorkerService::Stub>> stubs;
  for (int c = 0; c < std::max(1, absl::GetFlag(FLAGS_channels)); ++c) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", c);  // Distinct args: distinct connections.
    stubs.push_back(v1::WorkerService::NewStub(grpc::CreateCustomChannel(
        absl::GetFlag(FLAGS_master), grpc::InsecureChannelCredentials(), args)));
  }
  std::vector<int> rounds;
  const std::string sweep = absl::GetFlag(FLAGS_sweep);
  std::vector<std::string> counts = absl::StrSplit(sweep, ',', absl::SkipEmpty());
  for (const std::string& n : counts) {
    int v = std::atoi(n.c_str());
    if (v > 0) rounds.push_back(v);
  }
  if (rounds.empty()) rounds.push_back(absl::GetFlag(FLAGS_workers));
  Timer timer;
  std::atomic<bool> stop{false};
  std::thread timer_thread([&] { timer.Run(&stop); });
  std::printf("# lease %.0f ms of work per request, %.0f s per round, master pid %d\n",
              absl::GetFlag(FLAGS_lease_ms), absl::GetFlag(FLAGS_seconds),
              absl::GetFlag(FLAGS_master_pid));
  std::printf("%8s %9s %6s %9s %9s %9s %9s %9s %9s %9s\n", "workers", "connected", "failed",
              "connect_s", "grants/s", "p50_ms", "p99_ms", "max_ms", "cpu_%", "rss_MiB");
  for (size_t r = 0; r < rounds.size(); ++r)
    RunRound(static_cast<int>(r), rounds[r], stubs, &timer);
  stop = true;
  timer_thread.join();
  return 0;
}
