// synth-stratum-miner: the tests' own Stratum V1 miner (sim_miner.h), one or many connections
// on one io thread. The end-to-end tests run a few against synth-master's downstream port; the
// benchmarks run thousands (tests/bench/hub_bench.sh).
//
//   synth-stratum-miner --pool 127.0.0.1:3334 --user farm.rig1 [--connections 1] [--rate 2e7]
//                       [--version_rolling] [--extranonce_subscribe] [--suggest_difficulty D]
//                       [--drop_every S] [--seconds S] [--stats_json FILE]
//
// --rate is hashes/s per connection (real sha256d, the CPU's best core). --drop_every closes
// each connection every S seconds and reconnects (resuming its session). Counters go to
// --stats_json every second and as one JSON line on stdout at exit (SIGINT/SIGTERM or
// --seconds).
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/hash/dispatch.h"
#include "nlohmann/json.hpp"
#include "tests/hub/sim_miner.h"

ABSL_FLAG(std::string, pool, "127.0.0.1:3334", "HOST:PORT of the Stratum server");
ABSL_FLAG(std::string, user, "farm.rig", "Worker name (many connections: NAME-i)");
ABSL_FLAG(std::string, pass, "x", "Password");
ABSL_FLAG(int, connections, 1, "Connections (simulated miners)");
ABSL_FLAG(double, rate, 2e7, "Hashes/s per connection");
ABSL_FLAG(double, connect_rate, 2000, "Connections opened per second at start");
ABSL_FLAG(bool, version_rolling, false, "Ask for BIP 310 version rolling");
ABSL_FLAG(bool, extranonce_subscribe, false, "Send mining.extranonce.subscribe");
ABSL_FLAG(double, suggest_difficulty, 0, "Send mining.suggest_difficulty with this (0: no)");
ABSL_FLAG(double, drop_every, 0, "Close and reconnect each connection every S seconds (0: no)");
ABSL_FLAG(double, seconds, 0, "Stop after S seconds (0: at SIGINT/SIGTERM)");
ABSL_FLAG(std::string, stats_json, "", "Write the counters here every second");
ABSL_FLAG(double, tick_ms, 20, "Hashing slice, milliseconds");

namespace {

using synth::hubtest::SimMiner;
using synth::hubtest::SimStats;

double Quantile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * v.size()));
  std::nth_element(v.begin(), v.begin() + i, v.end());
  return v[i];
}

nlohmann::json StatsJson(SimStats& s, double elapsed_s) {
  absl::MutexLock l(&s.mu);
  nlohmann::json rejected = nlohmann::json::object();
  uint64_t total = 0;
  for (const auto& [code, n] : s.rejected) {
    rejected[std::to_string(code)] = n;
    total += n;
  }
  std::vector<double> rtt(s.rtt_ms.begin(), s.rtt_ms.end());
  std::vector<double> spread;
  for (const auto& [id, t] : s.clean_arrivals) {
    spread.push_back(absl::ToDoubleMilliseconds(t.second - t.first));
  }
  return {{"connects", s.connects},       {"subscribed", s.subscribed},
          {"resumed", s.resumed},         {"notifies", s.notifies},
          {"reconnects_asked", s.reconnects_asked},
          {"extranonce_changes", s.extranonce_changes},
          {"hashes", s.hashes},           {"hash_rate", elapsed_s > 0 ? s.hashes / elapsed_s : 0},
          {"submitted", s.submitted},     {"submitted_rolled", s.submitted_rolled},
          {"accepted", s.accepted},       {"rejected", total},
          {"rejected_by_code", rejected}, {"version_mask", s.version_mask},
          {"difficulty", s.difficulty},   {"rtt_p50_ms", Quantile(rtt, 0.5)},
          {"rtt_p99_ms", Quantile(rtt, 0.99)},
          {"clean_jobs", s.clean_arrivals.size()},
          {"clean_spread_p99_ms", Quantile(spread, 0.99)}};
}

void WriteStats(const std::string& path, const nlohmann::json& j) {
  if (path.empty()) return;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump() << "\n";
  }
  std::rename(tmp.c_str(), path.c_str());
}

// Returns the miners' options from the flags; false for a bad --pool.
bool OptionsFromFlags(synth::hubtest::SimOptions* o) {
  std::string pool = absl::GetFlag(FLAGS_pool);
  size_t colon = pool.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(pool.substr(colon + 1), &o->port)) {
    return false;
  }
  o->host = pool.substr(0, colon);
  o->user = absl::GetFlag(FLAGS_user);
  o->pass = absl::GetFlag(FLAGS_pass);
  o->version_rolling = absl::GetFlag(FLAGS_version_rolling);
  o->extranonce_subscribe = absl::GetFlag(FLAGS_extranonce_subscribe);
  o->suggest_difficulty = absl::GetFlag(FLAGS_suggest_difficulty);
  return true;
}

// Drives the miners on the io thread: opens connections at --connect_rate, gives each its
// hashing budget every --tick_ms, drops them on schedule and writes the stats every second.
class Ticker {
 public:
  Ticker(asio::io_context& io, std::vector<std::shared_ptr<SimMiner>> miners, SimStats* stats)
      : tick_(io), miners_(std::move(miners)), stats_(stats), budget_(miners_.size(), 0) {
    size_t n = miners_.size();
    for (size_t i = 0; i < n; ++i) {  // Staggered over the first period.
      next_drop_.push_back(start_ + absl::Seconds(drop_every_ * (1.0 + double(i) / n)));
    }
  }
  absl::Time start() const { return start_; }

  void Step() {
    absl::Time now = absl::Now();
    double elapsed = absl::ToDoubleSeconds(now - start_);
    while (started_ < miners_.size() && started_ < elapsed * connect_rate_ + 1) {
      miners_[started_++]->Start();
    }
    for (size_t i = 0; i < started_; ++i) {
      budget_[i] = std::min(budget_[i] + rate_ * tick_s_, rate_);  // At most a second's worth.
      if (budget_[i] >= 64) budget_[i] -= double(miners_[i]->Hash(uint64_t(budget_[i])));
      if (drop_every_ > 0 && now >= next_drop_[i]) {
        miners_[i]->Drop();
        next_drop_[i] += absl::Seconds(drop_every_);
      }
    }
    if (now - last_stats_ >= absl::Seconds(1)) {
      last_stats_ = now;
      WriteStats(absl::GetFlag(FLAGS_stats_json), StatsJson(*stats_, elapsed));
    }
    tick_.expires_after(std::chrono::microseconds(static_cast<int64_t>(tick_s_ * 1e6)));
    tick_.async_wait([this](const asio::error_code& ec) {
      if (!ec) Step();
    });
  }

 private:
  asio::steady_timer tick_;
  std::vector<std::shared_ptr<SimMiner>> miners_;
  SimStats* stats_;
  const absl::Time start_ = absl::Now();
  const double rate_ = absl::GetFlag(FLAGS_rate);
  const double tick_s_ = absl::GetFlag(FLAGS_tick_ms) / 1000;
  const double drop_every_ = absl::GetFlag(FLAGS_drop_every);
  const double connect_rate_ = std::max(1.0, absl::GetFlag(FLAGS_connect_rate));
  std::vector<double> budget_;
  std::vector<absl::Time> next_drop_;
  size_t started_ = 0;
  absl::Time last_stats_ = start_;
};

// Waits for SIGINT/SIGTERM, or --seconds.
void WaitForStop(const sigset_t& stop) {
  double seconds = absl::GetFlag(FLAGS_seconds);
  if (seconds > 0) {
    timespec ts{static_cast<time_t>(seconds), static_cast<long>((seconds - int64_t(seconds)) * 1e9)};
    sigtimedwait(&stop, nullptr, &ts);
  } else {
    int sig = 0;
    sigwait(&stop, &sig);
  }
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  absl::ParseCommandLine(argc, argv);
  synth::hubtest::SimOptions o;
  if (!OptionsFromFlags(&o)) {
    std::fprintf(stderr, "--pool must be HOST:PORT\n");
    return 2;
  }
  absl::StatusOr<const synth::hash::HashCore*> core = synth::hash::SelectCore("auto");
  if (!core.ok()) return 2;
  o.core = *core;
  asio::io_context io;
  SimStats stats;
  int n = std::max(1, absl::GetFlag(FLAGS_connections));
  std::vector<std::shared_ptr<SimMiner>> miners;
  for (int i = 0; i < n; ++i) {
    miners.push_back(std::make_shared<SimMiner>(io, o, &stats, n == 1 ? -1 : i));
  }
  Ticker ticker(io, std::move(miners), &stats);
  ticker.Step();
  std::thread io_thread([&] { io.run(); });
  WaitForStop(stop);
  io.stop();
  io_thread.join();
  nlohmann::json j = StatsJson(stats, absl::ToDoubleSeconds(absl::Now() - ticker.start()));
  WriteStats(absl::GetFlag(FLAGS_stats_json), j);
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
