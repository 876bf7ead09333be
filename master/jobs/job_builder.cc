#include "master/jobs/job_builder.h"

#include <bit>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/uint256.h"
#include "common/hash/sha256.h"

namespace synth::jobs {
namespace {

void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

// Sets bit `bit` (0 = least significant) of a 256-bit little-endian word array.
void SetBit(hash::Target256& t, int bit) { t[bit / 32] |= uint32_t{1} << (bit % 32); }

}  // namespace

hash::Target256 DifficultyToTarget(double difficulty) {
  // The exact integer floor(diff1 / difficulty) shared with synth-pool, so both sides draw the
  // share boundary at the same bit; the approximation below only covers what it refuses.
  if (absl::StatusOr<bitcoin::Uint256> exact = bitcoin::TargetFromDifficulty(difficulty);
      exact.ok()) {
    return exact->words();
  }
  hash::Target256 t{};
  // target = 0xFFFF/difficulty · 2^208 = m · 2^(e-64+208) with m a 64-bit mantissa.
  long double v = 65535.0L / static_cast<long double>(difficulty);
  int e = 0;
  long double frac = std::frexp(v, &e);  // v = frac · 2^e, frac in [0.5, 1).
  int top = e + 208;                     // Bit just above the most significant set bit.
  if (top > 256) {
    t.fill(0xffffffffu);
    return t;
  }
  uint64_t m = static_cast<uint64_t>(std::ldexp(frac, 64));
  for (int i = 0; i < 64; ++i) {
    int bit = top - 64 + i;
    if (bit >= 0 && ((m >> i) & 1)) SetBit(t, bit);
  }
  return t;
}

absl::Status ValidateJob(const UpstreamJob& job) {
  if (job.job_id.empty()) return absl::InvalidArgumentError("job has an empty job_id");
  if (job.extranonce2_size < 1 || job.extranonce2_size > 8) {
    return absl::InvalidArgumentError(
        absl::StrCat("extranonce2_size ", job.extranonce2_size, " outside 1..8"));
  }
  if (!(job.difficulty > 0) || !std::isfinite(job.difficulty)) {
    return absl::InvalidArgumentError(absl::StrCat("bad difficulty ", job.difficulty));
  }
  return absl::OkStatus();
}

std::vector<uint8_t> Extranonce2Bytes(uint64_t counter, int size, int prefix_bytes) {
  std::vector<uint8_t> out(size);
  for (int i = prefix_bytes; i < size; ++i) {
    out[i] = static_cast<uint8_t>(counter >> (8 * (i - prefix_bytes)));
  }
  return out;
}

std::array<uint8_t, 32> MerkleRoot(const UpstreamJob& job,
                                   const std::vector<uint8_t>& extranonce2) {
  std::vector<uint8_t> coinbase;
  coinbase.reserve(job.coinb1.size() + job.extranonce1.size() + extranonce2.size() +
                   job.coinb2.size());
  coinbase.insert(coinbase.end(), job.coinb1.begin(), job.coinb1.end());
  coinbase.insert(coinbase.end(), job.extranonce1.begin(), job.extranonce1.end());
  coinbase.insert(coinbase.end(), extranonce2.begin(), extranonce2.end());
  coinbase.insert(coinbase.end(), job.coinb2.begin(), job.coinb2.end());
  hash::Digest root = hash::Sha256d(coinbase);
  uint8_t pair[64];
  for (const auto& b : job.merkle_branch) {
    std::memcpy(pair, root.data(), 32);
    std::memcpy(pair + 32, b.data(), 32);
    root = hash::Sha256d(pair);
  }
  return root;
}

std::array<uint8_t, 80> BuildHeader(const UpstreamJob& job, const std::vector<uint8_t>& extranonce2,
                                    uint32_t version, uint32_t nonce) {
  std::array<uint8_t, 80> h{};
  PutLe32(&h[0], version);
  std::memcpy(&h[4], job.prev_hash.data(), 32);
  std::array<uint8_t, 32> root = MerkleRoot(job, extranonce2);
  std::memcpy(&h[36], root.data(), 32);
  PutLe32(&h[68], job.ntime);
  PutLe32(&h[72], job.nbits);
  PutLe32(&h[76], nonce);
  return h;
}

uint32_t RollVersion(uint32_t base, uint32_t mask, uint64_t roll) {
  uint32_t out = base & ~mask;
  for (uint32_t m = mask; m != 0 && roll != 0; m &= m - 1, roll >>= 1) {
    if (roll & 1) out |= m & (~m + 1);  // Lowest remaining mask bit.
  }
  return out;
}

JobBuilder::JobBuilder(const UpstreamJob& job, std::string job_key, int prefix_bytes)
    : job_(job),
      job_key_(std::move(job_key)),
      target_(DifficultyToTarget(job.difficulty)),
      prefix_bytes_(prefix_bytes) {
  int bits = std::popcount(job.version_mask);
  versions_ = uint64_t{1} << std::min(bits, 16);
}

absl::StatusOr<JobBuilder> JobBuilder::Create(const UpstreamJob& job, std::string job_key,
                                              int prefix_bytes) {
  if (absl::Status s = ValidateJob(job); !s.ok()) return s;
  if (prefix_bytes < 0 || prefix_bytes >= job.extranonce2_size) {
    return absl::InvalidArgumentError(absl::StrCat("extranonce2 slot prefix of ", prefix_bytes,
                                                   " bytes leaves no counter in ",
                                                   job.extranonce2_size, " bytes"));
  }
  return JobBuilder(job, std::move(job_key), prefix_bytes);
}

absl::StatusOr<Midstate> JobBuilder::Build(uint64_t index, uint64_t midstate_id,
                                           uint64_t version_group) const {
  uint64_t counter = index / versions_;
  int counter_bytes = job_.extranonce2_size - prefix_bytes_;
  if (counter_bytes < 8 && counter >> (8 * counter_bytes) != 0) {
    return absl::OutOfRangeError(absl::StrCat("job ", job_.job_id, ": extranonce2 space of ",
                                              counter_bytes, " bytes exhausted"));
  }
  Midstate m;
  m.midstate_id = midstate_id;
  m.version_group = version_group;
  m.job_key = job_key_;
  m.extranonce2 = Extranonce2Bytes(counter, job_.extranonce2_size, prefix_bytes_);
  m.version = job_.version_mask != 0
                  ? RollVersion(job_.version, job_.version_mask, index % versions_)
                  : job_.version;
  m.version_bits = m.version & job_.version_mask;
  m.ntime = job_.ntime;
  m.difficulty = job_.difficulty;
  std::array<uint8_t, 80> header = BuildHeader(job_, m.extranonce2, m.version, 0);
  std::memcpy(m.header.data(), header.data(), 76);
  m.work = hash::MakeScanWork(header, target_);
  return m;
}

}  // namespace synth::jobs
