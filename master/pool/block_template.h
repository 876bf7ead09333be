// File: master/pool/block_template.h
//
// synth-pool's jobs: a valid-looking block template turned into a Stratum job. The coinbase is a
// real transaction (BIP34 height push, then an extranonce slot of extranonce1 + extranonce2 bytes
// inside one script push, a tag, one P2PKH output); the merkle branch comes from made-up txids,
// so it has several levels; prevhash and the txids are derived from the height and a seed.
//
//   TemplateOptions t{.height = 900000, .extranonce2_size = 4};
//   stratum::StratumJob job = MakeTemplateJob(t, "1a", /*clean=*/true, /*ntime=*/now);
//
// Thread-safe: pure functions.
#ifndef SYNTH_MASTER_POOL_BLOCK_TEMPLATE_H_
#define SYNTH_MASTER_POOL_BLOCK_TEMPLATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/stratum/job.h"

namespace synth::pool {

struct TemplateOptions {
  uint32_t height = 900000;           // BIP34 height in the coinbase.
  int extranonce1_size = 4;           // Bytes per session.
  int extranonce2_size = 4;           // Bytes the miner rolls.
  int tx_count = 6;                   // Transactions besides the coinbase (branch depth ~log2).
  uint32_t version = 0x20000000;      // BIP9 top bits; no bits inside the rolling mask.
  uint32_t nbits = 0x1703a30c;        // Block target (real-looking; shares never reach it).
  uint64_t seed = 1;                  // Varies prevhash and txids.
};

// Returns the coinbase halves around the extranonce slot.
void MakeCoinbase(const TemplateOptions& t, std::vector<uint8_t>* coinb1,
                  std::vector<uint8_t>* coinb2);

// Returns the job for template `t`.
stratum::StratumJob MakeTemplateJob(const TemplateOptions& t, std::string job_id, bool clean,
                                    uint32_t ntime);

}  // namespace synth::pool

#endif  // SYNTH_MASTER_POOL_BLOCK_TEMPLATE_H_
