// File: master/jobs/test_jobs.h
//
// Test-only helpers: a deterministic, well-formed UpstreamJob.
#ifndef SYNTH_MASTER_JOBS_TEST_JOBS_H_
#define SYNTH_MASTER_JOBS_TEST_JOBS_H_

#include <string>

#include "master/jobs/upstream.h"

namespace synth::jobs {

// Returns a job whose bytes are derived from `seed`, with a 3-entry merkle branch.
inline UpstreamJob TestJob(const std::string& id, int seed = 1, double difficulty = 1.0,
                           bool clean = true, uint32_t version_mask = 0) {
  UpstreamJob j;
  j.notify.job_id = id;
  for (int i = 0; i < 32; ++i) j.notify.prev_hash[i] = static_cast<uint8_t>(seed * 7 + i);
  j.notify.coinb1.assign(42, static_cast<uint8_t>(seed));
  j.notify.coinb2.assign(61, static_cast<uint8_t>(seed + 1));
  for (int b = 0; b < 3; ++b) {
    std::array<uint8_t, 32> branch;
    for (int i = 0; i < 32; ++i) branch[i] = static_cast<uint8_t>(seed * 13 + b * 31 + i);
    j.notify.merkle_branch.push_back(branch);
  }
  j.notify.version = 0x20000000;
  j.notify.nbits = 0x1a44b9f2;
  j.notify.ntime = 0x4dd7f5c7 + seed;
  j.notify.clean_jobs = clean;
  j.difficulty = difficulty;
  j.extranonce1 = {0xde, 0xad, 0xbe, 0xef};
  j.extranonce2_size = 4;
  j.version_mask = version_mask;
  return j;
}

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_TEST_JOBS_H_
