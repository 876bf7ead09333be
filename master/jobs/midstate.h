// File: master/jobs/midstate.h
//
// One midstate: a (job, extranonce2, version) combination with its first 76 header bytes
// precomputed into a hash::ScanWork. Immutable once built; shared by the job manager's cache, the
// lease manager's units and the share validator through shared_ptr<const Midstate>.
#ifndef SYNTH_MASTER_JOBS_MIDSTATE_H_
#define SYNTH_MASTER_JOBS_MIDSTATE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/hash/scan.h"

namespace synth::jobs {

struct Midstate {
  uint64_t midstate_id = 0;          // Unique for the master's lifetime.
  uint64_t version_group = 0;        // midstate_id of the first midstate with the same extranonce2.
  std::string job_key;               // The master's job key ("<seq>/<pool job id>").
  std::vector<uint8_t> extranonce2;  // Bytes as placed in the coinbase.
  uint32_t version = 0;              // Header version (rolled bits in).
  uint32_t version_bits = 0;         // version & mask (the submit's 6th param).
  uint32_t ntime = 0;
  std::array<uint8_t, 76> header{};  // Header bytes 0..75.
  hash::ScanWork work;               // Midstate, tail and share target.
  double difficulty = 1.0;           // Share difficulty of the job.
  size_t pool = 0;                   // UpstreamJob::pool of the job.
};

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_MIDSTATE_H_
