// File: common/hash/dispatch.h
//
// Chooses the CPU hash core: detects what the CPU and OS support (cpu_features.h), self-tests
// each candidate core against the scalar reference on fixed vectors at first use, times the cores
// that passed (core_ranking.h) and picks the fastest, logs the choice, and lets a user force one
// by name (the binaries' --hash-core flag).
//
//   ASSIGN_OR_RETURN(const HashCore* core, SelectCore(absl::GetFlag(FLAGS_hash_core)));
//   core->Scan(work, 0, count, &found);
//   for (const CoreTiming& t : MeasuredCores()) ...   // every usable core, fastest first
//
// "auto" is decided by measurement, not by vendor: a few milliseconds per core at the first
// "auto" selection (kStartupTiming, about 120 ms for five cores), cached for the process. A core
// is usable when Supported() and its self-test passed.
//
// Thread-safe: every function may be called from any thread; self-tests and the timing run once.
#ifndef SYNTH_COMMON_HASH_DISPATCH_H_
#define SYNTH_COMMON_HASH_DISPATCH_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/hash/core_ranking.h"
#include "common/hash/scan.h"

namespace synth::hash {

// Returns every dispatchable core compiled in, whether or not this CPU runs it, in a fixed order
// (the order of --list-hash-cores; timing ties keep it).
const std::vector<const HashCore*>& AllCores();

// Returns the names of AllCores(), comma-separated
// ("avx512-sha,avx512-sha2,avx512-sha1,avx512,sha-ni,avx2,scalar").
std::string CoreNames();

// Returns the core named `name`, or nullptr.
const HashCore* FindCore(std::string_view name);

// Checks `core` against the scalar reference on fixed vectors (random-looking headers, easy
// targets, ranges ending at 2^32, odd counts, the genesis block). Runs once per core and caches
// the result. FailedPrecondition when the CPU lacks the core's ISA; Internal on a mismatch.
absl::Status SelfTest(const HashCore& core);

// Returns the cores this CPU supports whose self-test passed, in AllCores() order (never empty:
// scalar).
std::vector<const HashCore*> UsableCores();

// Returns UsableCores() timed on this machine, fastest first (RankCores with kStartupTiming and
// a ScanTimer). The first call times them on the calling thread and logs the rates; later calls
// return the cached result.
const std::vector<CoreTiming>& MeasuredCores();

// Returns the core for `name`: "" or "auto" picks the fastest of MeasuredCores(); otherwise the
// named core if this CPU runs it and it passes its self-test (nothing is timed). Logs the choice.
// Errors: InvalidArgument for an unknown name (the message lists the known ones),
// FailedPrecondition when the CPU lacks the ISA, Internal when the self-test fails.
absl::StatusOr<const HashCore*> SelectCore(std::string_view name);

}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_DISPATCH_H_
