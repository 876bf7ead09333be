// File: master/stratum/upstream_adapter.h
//
// The Stratum client behind the master's jobs::Upstream interface (master/jobs/upstream.h), so
// master/service can plug it in for stratum+tcp:// and stratum+ssl:// pools:
//
//   stratum::ClientOptions o;  o.pools = {{url, user, pass, 0}, {backup, user, pass, 1}};
//   ASSIGN_OR_RETURN(std::unique_ptr<jobs::Upstream> up, stratum::MakeClientUpstream(o));
//   up->Start([&](const jobs::UpstreamJob& j) { cluster.OnJob(j); });
//
// Mapping: every ClientJob becomes an UpstreamJob with its own difficulty, extranonce1,
// extranonce2_size and version mask; UpstreamShare::version (the full header version) is the
// share's version: a V1 session sends `version & mask` only when rolling was agreed.
// SubmitResult: accepted, or the pool's code/reason; stale gets code 21 when the pool gave
// none; `not_sent` when the share never reached a pool. Pools() and SwitchPool() map to
// Client::Status().pools and Client::SwitchPool / AddAndSwitchPool (a new URL signs in with the
// first pool's user and password). Thread-safe like Client.
#ifndef SYNTH_MASTER_STRATUM_UPSTREAM_ADAPTER_H_
#define SYNTH_MASTER_STRATUM_UPSTREAM_ADAPTER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "master/jobs/upstream.h"
#include "master/stratum/client.h"

namespace synth::stratum {

// Returns an Upstream over a Client built from `options` (InvalidArgument for bad URLs).
absl::StatusOr<std::unique_ptr<jobs::Upstream>> MakeClientUpstream(ClientOptions options);

// Conversions, exposed for tests.
jobs::UpstreamJob ToUpstreamJob(const ClientJob& job);
jobs::SubmitResult ToUpstreamResult(const SubmitResult& r);
std::vector<jobs::UpstreamPool> ToUpstreamPools(const ClientStatus& s);

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_UPSTREAM_ADAPTER_H_
