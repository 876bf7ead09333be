// File: common/stratum/share_check.h
//
// How a Stratum server judges one mining.submit against the job it names, as a real pool does
// (synth-pool, and the master's downstream port through master/shares): exact
// extranonce2 size, ntime within [job ntime, job ntime + 7000 s] (ckpool's window), version bits
// only inside the negotiated mask (BIP 310: nVersion = (job & ~mask) | (bits & mask)), then the
// header is rebuilt and hashed and compared with the difficulty the job was notified with.
// Session-level checks (subscribed, authorized, job known) live in server_session.h; duplicates
// in the server.
//
//   JobTerms terms{.difficulty = 0.01, .extranonce1 = en1, .extranonce2_size = 4};
//   ShareVerdict v = CheckShare(job, terms, /*version_mask=*/0x1fffe000, submit);
//   if (!v.accepted) reply with [v.code, v.reason, null];
//
// Thread-safe: pure functions.
#ifndef SYNTH_COMMON_STRATUM_SHARE_CHECK_H_
#define SYNTH_COMMON_STRATUM_SHARE_CHECK_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/bitcoin/uint256.h"
#include "common/stratum/codec.h"
#include "common/stratum/job.h"

namespace synth::stratum {

inline constexpr uint32_t kNtimeWindowS = 7000;

// The session values a job was notified under.
struct JobTerms {
  double difficulty = 1;
  std::vector<uint8_t> extranonce1;
  int extranonce2_size = 4;
};

struct ShareVerdict {
  bool accepted = false;
  int code = 0;             // Stratum error code when rejected.
  std::string reason;       // "Low difficulty share", "Invalid version mask", ...
  double share_difficulty = 0;  // The difficulty the hash stands for.
  bool block = false;       // The hash also meets the nbits target.
  bitcoin::Uint256 hash;    // sha256d of the header (zero when rejected before hashing).
  uint32_t version = 0;     // The header version it was hashed with (rolled bits in).
};

// Judges `share` for `job`. `version_mask` is 0 when the session never negotiated rolling.
ShareVerdict CheckShare(const StratumJob& job, const JobTerms& terms, uint32_t version_mask,
                        const SubmitParams& share);

}  // namespace synth::stratum

#endif  // SYNTH_COMMON_STRATUM_SHARE_CHECK_H_
