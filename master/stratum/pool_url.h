// File: master/stratum/pool_url.h
//
// Pool addresses: `stratum+tcp://HOST:PORT`, `stratum+ssl://HOST:PORT` (TLS with certificate
// verification) and `stratum2+tcp://HOST:PORT/AUTHORITY_KEY` (Stratum V2 under Noise; the key is
// the pool's authority public key in base58check, docs/DESIGN.md §9.2), and the same-domain rule
// for client.reconnect (docs/DESIGN.md §7.4: a spoofed reconnect may only move the miner within
// the pool's own domain).
//
//   ASSIGN_OR_RETURN(PoolUrl url, ParsePoolUrl("stratum+ssl://pool.example.com:443"));
//   bool ok = SameDomain("eu.pool.example.com", url.host);   // true
//
// Thread-safe: pure functions.
#ifndef SYNTH_MASTER_STRATUM_POOL_URL_H_
#define SYNTH_MASTER_STRATUM_POOL_URL_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace synth::stratum {

struct PoolUrl {
  std::string host;
  int port = 0;
  bool tls = false;
  bool sv2 = false;                         // stratum2+tcp://
  std::array<uint8_t, 32> authority_key{};  // SV2: the pool's authority key (x-only).
  // Canonical form, e.g. "stratum+tcp://127.0.0.1:3333" or "stratum2+tcp://HOST:PORT/KEY".
  std::string ToString() const;
};

// Parses a pool URL. InvalidArgument names what is wrong (scheme, host, port, authority key).
absl::StatusOr<PoolUrl> ParsePoolUrl(const std::string& url);

// Returns true when `target` may replace `current` on client.reconnect: the same host, or the
// same registrable domain (the last two labels; IP addresses must match exactly).
bool SameDomain(const std::string& target, const std::string& current);

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_POOL_URL_H_
