// A minimal SV2 miner for scripts: connects to a stratum2+tcp:// URL (verifying the pool's
// certificate against the key in it), opens an extended channel, waits for a job, finds and
// submits shares at the job's difficulty, prints one JSON line and exits 0 when every share was
// accepted (1 otherwise, with the reason on stderr). tests/stratum/sv2_pool_binary_test.sh uses
// it against the synth-pool process; keep pool difficulties tiny (1e-5).
//
//   sv2_probe --url stratum2+tcp://127.0.0.1:3336/9bX... --shares 2
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "common/logging.h"
#include "tests/stratum/sv2_harness.h"

ABSL_FLAG(std::string, url, "", "stratum2+tcp://HOST:PORT/AUTHORITY_KEY");
ABSL_FLAG(int, shares, 1, "Shares to find and submit");
ABSL_FLAG(int, timeout_ms, 20000, "How long to wait for the channel and each verdict");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  synth::InitLogging(argv[0]);
  using synth::stratum::testing::Miner;
  using synth::stratum::testing::Sv2TestClient;
  const int timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  Sv2TestClient client(absl::GetFlag(FLAGS_url));
  if (!client.url_status().ok()) {
    std::fprintf(stderr, "sv2_probe: %s\n", client.url_status().ToString().c_str());
    return 2;
  }
  client.Start();
  bool got_job = synth::testing::WaitFor(
      [&] { return client.job_count() >= 1 || client.closed().has_value(); }, timeout_ms);
  if (!got_job || client.job_count() == 0) {
    std::optional<absl::Status> why = client.closed();
    std::fprintf(stderr, "sv2_probe: no job: %s\n", why ? why->ToString().c_str() : "timeout");
    return 1;
  }
  int accepted = 0;
  for (int i = 0; i < absl::GetFlag(FLAGS_shares); ++i) {
    synth::stratum::SubmitResult r = client.SubmitAndWait(
        Miner::FindShare(client.last_job(), static_cast<uint32_t>(i + 1)), timeout_ms);
    if (r.outcome != synth::stratum::SubmitOutcome::kAccepted) {
      std::fprintf(stderr, "sv2_probe: share %d %s: %s\n", i, OutcomeName(r.outcome),
                   r.reason.c_str());
      return 1;
    }
    ++accepted;
  }
  std::printf("{\"accepted\": %d, \"difficulty\": %g}\n", accepted, client.last_job().difficulty);
  return 0;
}
