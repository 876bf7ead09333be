// File: master/stratum/types.h
//
// The values the Stratum client hands to the master and takes back: a job with the session
// terms it was notified under, a share, and each share's fate. See client.h for the API.
#ifndef SYNTH_MASTER_STRATUM_TYPES_H_
#define SYNTH_MASTER_STRATUM_TYPES_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/stratum/job.h"

namespace synth::stratum {

// One mining.notify with the terms in force when it arrived: a set_difficulty or
// set_extranonce received later does not change an earlier job (docs/DESIGN.md §7.3, §7.4).
struct ClientJob {
  StratumJob job;                    // job.clean_jobs: drop all earlier work now.
  double difficulty = 1;             // Share difficulty for this job.
  std::vector<uint8_t> extranonce1;
  int extranonce2_size = 4;          // 1..8.
  uint32_t version_mask = 0;         // BIP 310 mask agreed with this pool; 0 = do not roll.
  std::string pool_url;              // Which pool (no credentials).
  uint64_t connection = 0;           // Increments per pool connection.
};

// One share found by the master.
struct ClientShare {
  std::string job_id;
  std::vector<uint8_t> extranonce2;  // Exactly the job's extranonce2_size bytes.
  uint32_t ntime = 0;
  uint32_t nonce = 0;
  uint32_t version = 0;              // The full (possibly rolled) header version.
  double difficulty = 0;             // Its job's share difficulty: what an accept is worth.
};

enum class SubmitOutcome {
  kAccepted,
  kRejected,   // The pool said no (code/reason below), other than stale.
  kStale,      // Job gone: cleaned, pool answered 21, or the session changed before sending.
  kTimedOut,   // Sent, no answer within the submit timeout (reason "timeout: ..."); or stopped.
  kPoolDown,   // Held while no pool was connected, never sent: the next session was not a true
               // resume (same extranonce1) that still knows the job, or none came in time.
};

struct SubmitResult {
  SubmitOutcome outcome = SubmitOutcome::kRejected;
  int code = 0;            // The pool's error code, when it sent one.
  std::string reason;      // The pool's message, or a local reason.
  bool sent = false;       // False when the share never reached a pool.
};

// Every submit's fate, counted once.
struct SubmitCounters {
  uint64_t submitted = 0;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  uint64_t stale = 0;
  uint64_t timed_out = 0;
  uint64_t pool_down = 0;  // kPoolDown: expired while the pool was down.
  std::map<int, uint64_t> rejected_by_code;
  double accepted_work = 0;  // Sum over accepted shares of their difficulty (ClientShare's).
};

const char* OutcomeName(SubmitOutcome o);

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_TYPES_H_
