// File: master/pool/sv2_server.h
//
// synth-pool's Stratum V2 side (docs/STRATUM.md "Stratum V2"): a Noise NX responder with its own
// authority key and certificates signed by it, then the mining protocol over extended channels,
// next to the V1 side on the same io thread. It serves the pool's jobs (block_template.h) and
// judges shares with the V1 side's CheckShare (share_check.h) after the same session checks,
// counting them in the same PoolStats.
//
//   PoolOptions o;
//   o.sv2.listen_port = 0;                           // enable, ephemeral port
//   o.sv2.authority_key_file = "pool-authority.key"; // created 0600 on first start
//   ASSIGN_OR_RETURN(auto pool, PoolServer::Start(o));
//   std::string url = pool->sv2_url();               // stratum2+tcp://127.0.0.1:PORT/KEY
//
// Per connection: SetupConnection (mining protocol, version 2; REQUIRES_STANDARD_JOBS and
// REQUIRES_WORK_SELECTION are refused, REQUIRES_VERSION_ROLLING needs a version mask), then one
// extended channel (standard channels are refused): extranonce prefix = a fresh extranonce1,
// extranonce_size = the pool's extranonce2 size, target = the pool difficulty, or harder when
// the client's maximum target asks for it. A clean job goes out as a future job and its
// SetNewPrevHash; others as jobs with min_ntime on the current prev hash. SubmitSharesExtended
// is answered one by one: SubmitShares.Success, or SubmitShares.Error with "stale-share",
// "duplicate-share", "difficulty-too-low", "invalid-channel-id" or "invalid-share: <reason>".
// Bad input (a failed handshake, a MAC that does not verify, a malformed or truncated frame, a
// message out of order) drops that connection with a log line and counts in sv2_bad_input; the
// pool keeps serving everyone else. The authority key is never logged, only its public half.
#ifndef SYNTH_MASTER_POOL_SV2_SERVER_H_
#define SYNTH_MASTER_POOL_SV2_SERVER_H_

#include <cstdint>
#include <string>

namespace synth::pool {

struct Sv2Options {
  std::string listen_host = "127.0.0.1";
  int listen_port = -1;            // -1: no SV2 side; 0: an ephemeral port.
  std::string authority_key_file;  // Empty: a key for this process only (tests).
  // Each connection's certificate is valid from now + valid_from_s to now + valid_until_s
  // (a negative valid_until_s makes expired certificates, for tests).
  int64_t cert_valid_from_s = -60;
  int64_t cert_valid_until_s = 24 * 3600;
  double handshake_timeout_s = 10;  // Setup and channel must be done by then.
};

}  // namespace synth::pool

#endif  // SYNTH_MASTER_POOL_SV2_SERVER_H_
