// File: tests/fuzz/worker_fuzz_target.h
//
// The body of the master's worker-message fuzzer, shared with the corpus replay test. Decodes
// fuzz bytes into a script of operations on a real service::Cluster (fake clock, fake upstream,
// fake StreamSinks): Hello variants, lease requests, shares (found by scanning a granted unit,
// or forged: wrong nonce, unknown unit/midstate/job, other workers' units, replays, floods),
// progress reports (unknown, overlapping, out of range), telemetry with absurd values (NaN, inf,
// negative, huge), raw serialized WorkerMessages, pool jobs, pool answers, ticks and
// disconnects. After every operation it checks the invariants: the coverage audit is OK and the
// share ledger reconciles (found = sum of states, cluster-wide and per worker); at the end every
// share sent on a live stream got exactly one verdict. Must never crash, hang or trip a
// sanitizer.
//
//   WorkerFuzzResult r = FuzzWorkerOnce(data, size);
//   if (!r.violation.empty()) abort();   // The fuzzer traps; the replay test reports it.
//
// The input format (little script language, one byte opcode each) is described in
// worker_fuzz_target.cc and written by tests/fuzz/gen_worker_corpus.py.
// Thread-compatible: each call builds its own Cluster.
#ifndef SYNTH_TESTS_FUZZ_WORKER_FUZZ_TARGET_H_
#define SYNTH_TESTS_FUZZ_WORKER_FUZZ_TARGET_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace synth::fuzz {

struct WorkerFuzzResult {
  size_t ops = 0;            // Operations executed.
  size_t sessions = 0;       // Hellos the Cluster accepted.
  size_t hellos_refused = 0; // Hellos it refused (INVALID_ARGUMENT).
  size_t grants = 0;         // LeaseGrants it sent.
  size_t shares = 0;         // Share messages delivered to live sessions.
  size_t accepted = 0;       // Shares that ended accepted (ledger).
  size_t rate_limited = 0;   // Shares counted as rate_limited (ledger).
  size_t rejected_kinds = 0; // Distinct non-accepted final states seen in the ledger.
  std::string violation;     // Empty, or the first broken invariant.
};

// Runs one input. Never throws.
WorkerFuzzResult FuzzWorkerOnce(const uint8_t* data, size_t size);

}  // namespace synth::fuzz

#endif  // SYNTH_TESTS_FUZZ_WORKER_FUZZ_TARGET_H_
