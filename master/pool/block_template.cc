#include "master/pool/block_template.h"

#include <string_view>

#include "common/bitcoin/merkle.h"

namespace synth::pool {
namespace {

void PutLe(std::vector<uint8_t>* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

bitcoin::Hash256 MadeUpHash(uint64_t seed, uint32_t height, uint32_t i) {
  std::vector<uint8_t> data;
  PutLe(&data, seed, 8);
  PutLe(&data, height, 4);
  PutLe(&data, i, 4);
  return bitcoin::Sha256dHash(data);
}

}  // namespace

void MakeCoinbase(const TemplateOptions& t, std::vector<uint8_t>* coinb1,
                  std::vector<uint8_t>* coinb2) {
  constexpr std::string_view kTag = "/synth-pool/";
  const int slot = t.extranonce1_size + t.extranonce2_size;
  // scriptSig = push3(height) | push(slot) extranonce | push(tag)
  const int script_len = 4 + 1 + slot + 1 + static_cast<int>(kTag.size());
  coinb1->clear();
  PutLe(coinb1, 1, 4);                              // tx version
  coinb1->push_back(1);                             // one input
  coinb1->insert(coinb1->end(), 32, 0);             // null prevout hash
  PutLe(coinb1, 0xffffffff, 4);                     // prevout index
  coinb1->push_back(static_cast<uint8_t>(script_len));
  coinb1->push_back(3);                             // BIP34: push 3 bytes of height
  PutLe(coinb1, t.height, 3);
  coinb1->push_back(static_cast<uint8_t>(slot));    // push the extranonce slot
  coinb2->clear();
  coinb2->push_back(static_cast<uint8_t>(kTag.size()));
  coinb2->insert(coinb2->end(), kTag.begin(), kTag.end());
  PutLe(coinb2, 0xffffffff, 4);                     // sequence
  coinb2->push_back(1);                             // one output
  PutLe(coinb2, 312500000, 8);                      // 3.125 BTC
  const uint8_t p2pkh_head[] = {0x19, 0x76, 0xa9, 0x14};
  coinb2->insert(coinb2->end(), std::begin(p2pkh_head), std::end(p2pkh_head));
  bitcoin::Hash256 key = MadeUpHash(t.seed, 0, 0xffffffff);
  coinb2->insert(coinb2->end(), key.begin(), key.begin() + 20);
  coinb2->push_back(0x88);
  coinb2->push_back(0xac);
  PutLe(coinb2, 0, 4);                              // lock time
}

stratum::StratumJob MakeTemplateJob(const TemplateOptions& t, std::string job_id, bool clean,
                                    uint32_t ntime) {
  stratum::StratumJob job;
  job.job_id = std::move(job_id);
  job.prev_hash = MadeUpHash(t.seed, t.height - 1, 0xfffffffe);
  job.prev_hash[31] = 0;  // Looks mined: the display hash starts with zeros.
  job.prev_hash[30] = 0;
  MakeCoinbase(t, &job.coinb1, &job.coinb2);
  std::vector<bitcoin::Hash256> txids(1 + t.tx_count);
  for (int i = 1; i <= t.tx_count; ++i) txids[i] = MadeUpHash(t.seed, t.height, i);
  job.merkle_branch = bitcoin::MerkleBranchForFirst(txids);
  job.version = t.version;
  job.nbits = t.nbits;
  job.ntime = ntime;
  job.clean_jobs = clean;
  return job;
}

}  // namespace synth::pool
