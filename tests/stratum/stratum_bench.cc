// Stratum figures on loopback (tests/bench/stratum_bench.sh runs it against synth-pool):
// submit round trip p50/p99 (one share in flight), pipelined submit throughput, and the
// pool-side share check cost next to a bare sha256d of an 80-byte header (the baseline).
//
//   stratum_bench --port 3333 --shares 2000 --difficulty 1e-7
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/notification.h"
#include "common/bitcoin/header.h"
#include "common/logging.h"
#include "master/pool/block_template.h"
#include "common/stratum/share_check.h"
#include "tests/stratum/harness.h"

ABSL_FLAG(int, port, 0, "synth-pool port on 127.0.0.1 (0: start one in-process)");
ABSL_FLAG(int, shares, 2000, "Shares per phase");
ABSL_FLAG(double, difficulty, 1e-7, "The pool's difficulty (must match synth-pool --difficulty)");

namespace synth::stratum::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<ClientShare> MakeShares(const ClientJob& job, int n, uint32_t first_en2) {
  std::vector<ClientShare> out;
  for (int i = 0; i < n; ++i) out.push_back(Miner::FindShare(job, first_en2 + i));
  return out;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// Times CheckShare against a bare header hash, in-process.
void CheckCost(double difficulty) {
  stratum::StratumJob job = pool::MakeTemplateJob(pool::TemplateOptions{}, "1", true, 1700000000);
  stratum::JobTerms terms{difficulty, {1, 2, 3, 4}, 4};
  constexpr int kN = 200000;
  auto t0 = Clock::now();
  uint64_t accepted = 0;
  for (int i = 0; i < kN; ++i) {
    SubmitParams p{"w", "1", {uint8_t(i), uint8_t(i >> 8), uint8_t(i >> 16), 0}, job.ntime,
                   static_cast<uint32_t>(i), std::nullopt};
    accepted += stratum::CheckShare(job, terms, 0, p).accepted;
  }
  double check_s = std::chrono::duration<double>(Clock::now() - t0).count();
  bitcoin::BlockHeader h;
  t0 = Clock::now();
  uint8_t sink = 0;
  for (int i = 0; i < kN; ++i) {
    h.nonce = static_cast<uint32_t>(i);
    sink ^= h.Hash()[0];
  }
  double hash_s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("check_share_per_s %.0f\nheader_hash_per_s %.0f\ncheck_vs_hash %.2f\n(sink %u, %lu)\n",
              kN / check_s, kN / hash_s, hash_s / check_s, sink, static_cast<unsigned long>(accepted));
}

int Run() {
  std::unique_ptr<pool::PoolServer> local;
  int port = absl::GetFlag(FLAGS_port);
  double difficulty = absl::GetFlag(FLAGS_difficulty);
  if (port == 0) {
    local = StartPool(difficulty);
    port = local->port();
  }
  Miner miner;
  ClientOptions o = FastOptions({{Url(port), "bench", "x", 0}});
  o.session.submit_timeout = absl::Seconds(30);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(o, miner.Callbacks());
  if (!client.ok()) return 1;
  (*client)->Start();
  if (!WaitFor([&] { return miner.job_count() > 0; })) return 1;
  ClientJob job = miner.last_job();
  const int n = absl::GetFlag(FLAGS_shares);
  std::vector<ClientShare> serial = MakeShares(job, n, 1);
  std::vector<double> rtt_us;
  for (const ClientShare& s : serial) {
    absl::Notification verdict;
    SubmitResult r;
    auto t0 = Clock::now();
    (*client)->Submit(s, [&](const SubmitResult& res) {
      r = res;
      verdict.Notify();
    });
    verdict.WaitForNotification();
    rtt_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    if (r.outcome != SubmitOutcome::kAccepted) std::fprintf(stderr, "not accepted: %s\n", r.reason.c_str());
  }
  std::vector<ClientShare> burst = MakeShares(job, n, 1000000);
  std::atomic<int> done{0};
  absl::Notification all;
  auto t0 = Clock::now();
  for (const ClientShare& s : burst) {
    (*client)->Submit(s, [&](const SubmitResult&) {
      if (++done == n) all.Notify();
    });
  }
  all.WaitForNotification();
  double burst_s = std::chrono::duration<double>(Clock::now() - t0).count();
  ClientStatus st = (*client)->Status();
  std::printf("submit_rtt_p50_us %.1f\nsubmit_rtt_p99_us %.1f\npipelined_submits_per_s %.0f\n"
              "accepted %lu\nrejected %lu\n",
              Percentile(rtt_us, 0.5), Percentile(rtt_us, 0.99), n / burst_s,
              static_cast<unsigned long>(st.shares.accepted),
              static_cast<unsigned long>(st.shares.rejected + st.shares.stale + st.shares.timed_out));
  (*client)->Stop();
  CheckCost(difficulty);
  return 0;
}

}  // namespace
}  // namespace synth::stratum::testing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  synth::InitLogging(argv[0]);
  FLAGS_minloglevel = 1;  // Warnings and up: the bench prints its own figures.
  return synth::stratum::testing::Run();
}
