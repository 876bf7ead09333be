// File: master/service/stratum_upstream.h
//
// Builds the master's Upstream from --pool URLs: `stratum+tcp://HOST:PORT`, `stratum+ssl://` and
// `stratum2+tcp://HOST:PORT/AUTHORITY_KEY` (Stratum V2; one list may mix them) go to the Stratum
// client through master/stratum/upstream_adapter.h, `synthetic://DIFF[/INTERVAL[/clean]]` to the
// in-process SyntheticUpstream (benchmarks without a pool). Several stratum URLs are tried in
// order (failover).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<jobs::Upstream> up, MakeStratumUpstream(pools));
#ifndef SYNTH_MASTER_SERVICE_STRATUM_UPSTREAM_H_
#define SYNTH_MASTER_SERVICE_STRATUM_UPSTREAM_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "master/jobs/upstream.h"

namespace synth::service {

// One --pool entry with its credentials. `pass` is a secret: never logged.
struct PoolConfig {
  std::string url;
  std::string user;
  std::string pass;
};

// Dead-connection detection for stratum pools (docs/STRATUM.md "Faults").
struct PoolTimeouts {
  absl::Duration stall = absl::Seconds(90);   // No bytes from the pool: reconnect / fail over.
  absl::Duration submit = absl::Seconds(30);  // A submit unanswered: same.
  absl::Duration primary_retry = absl::Seconds(30);  // On a backup: probe the preferred after.
};

// Returns the upstream for `pools` (at least one). INVALID_ARGUMENT for an unknown scheme.
absl::StatusOr<std::unique_ptr<jobs::Upstream>> MakeStratumUpstream(
    const std::vector<PoolConfig>& pools, const PoolTimeouts& timeouts = {});

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_STRATUM_UPSTREAM_H_
