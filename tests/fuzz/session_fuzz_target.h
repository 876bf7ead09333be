// File: tests/fuzz/session_fuzz_target.h
//
// The body of the downstream Stratum session fuzzer (what synth-pool and the master's
// downstream port run per connection: common/stratum/server_session.h), shared with the corpus
// replay test. Decodes fuzz bytes into a script that interleaves what a hostile miner sends
// (raw bytes, and well-formed requests with fuzzed params: configure, subscribe, authorize,
// extranonce.subscribe, suggest_difficulty, submits for notified and unknown jobs) with what the
// server does (notify, set_difficulty, version-mask and extranonce changes, answering deferred
// subscribes and pending submits, time passing), under the port's limits (16 KiB lines, a
// request-rate bucket, a pending-submit cap). After every step it checks the invariants: no
// held partial line beyond the cap; the session's pending-submit count equals the submits the
// host holds; at most the cap pending; every line the session writes is one JSON-RPC message
// that parses; every request with an id is answered at most once; the remembered terms stay
// bounded. Must never crash, hang or trip a sanitizer.
//
//   SessionFuzzResult r = FuzzSessionOnce(data, size);
//   if (!r.violation.empty()) abort();
//
// The script format (one opcode byte, then its operands) is described in session_fuzz_target.cc.
// Thread-compatible: each call builds its own session.
#ifndef SYNTH_TESTS_FUZZ_SESSION_FUZZ_TARGET_H_
#define SYNTH_TESTS_FUZZ_SESSION_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace synth::fuzz {

struct SessionFuzzResult {
  size_t ops = 0;          // Operations executed.
  size_t lines_out = 0;    // Lines the session wrote.
  size_t submits = 0;      // Submits handed to the host.
  size_t refused = 0;      // Submits the session refused itself.
  bool dropped = false;    // Feed() returned an error (the connection would be dropped).
  std::string violation;   // Empty, or the first broken invariant.
};

// Runs one input. Never throws.
SessionFuzzResult FuzzSessionOnce(const uint8_t* data, size_t size);

}  // namespace synth::fuzz

#endif  // SYNTH_TESTS_FUZZ_SESSION_FUZZ_TARGET_H_
