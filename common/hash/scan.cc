#include "common/hash/scan.h"

#include <cstring>

namespace synth::hash {

ScanWork MakeScanWork(std::span<const uint8_t> header, const Target256& target) {
  ScanWork work;
  work.midstate = kSha256Init;
  Sha256Compress(work.midstate, header.data());
  std::memcpy(work.tail.data(), header.data() + 64, 12);
  work.target = target;
  return work;
}

Digest HashNonce(const ScanWork& work, uint32_t nonce) {
  // Second block: tail, nonce (LE), padding 0x80, length 640 bits.
  uint8_t block[64] = {};
  std::memcpy(block, work.tail.data(), 12);
  block[12] = static_cast<uint8_t>(nonce);
  block[13] = static_cast<uint8_t>(nonce >> 8);
  block[14] = static_cast<uint8_t>(nonce >> 16);
  block[15] = static_cast<uint8_t>(nonce >> 24);
  block[16] = 0x80;
  block[62] = 0x02;  // 640 = 0x280
  block[63] = 0x80;
  State state = work.midstate;
  Sha256Compress(state, block);
  Digest first = StateToDigest(state);
  return Sha256(first);
}

std::vector<uint32_t> ReferenceScan(const ScanWork& work, uint32_t start, uint64_t count) {
  std::vector<uint32_t> found;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t nonce = start + static_cast<uint32_t>(i);
    if (MeetsTarget(HashNonce(work, nonce), work.target)) found.push_back(nonce);
  }
  return found;
}

Target256 HashAsWords(const Digest& hash) {
  Target256 w;
  for (int i = 0; i < 8; ++i) {
    w[i] = uint32_t{hash[4 * i]} | (uint32_t{hash[4 * i + 1]} << 8) |
           (uint32_t{hash[4 * i + 2]} << 16) | (uint32_t{hash[4 * i + 3]} << 24);
  }
  return w;
}

bool MeetsTarget(const Digest& hash, const Target256& target) {
  Target256 h = HashAsWords(hash);
  for (int i = 7; i >= 0; --i) {
    if (h[i] != target[i]) return h[i] < target[i];
  }
  return true;
}

bool SharesTail(std::span<const ScanWork> works) {
  for (const ScanWork& w : works) {
    if (w.tail != works.front().tail || w.target != works.front().target) return false;
  }
  return true;
}

void HashCore::ScanRow(std::span<const ScanWork> works, uint32_t start, uint64_t count,
                       std::vector<RowFound>* found) const {
  std::vector<uint32_t> nonces;
  for (size_t w = 0; w < works.size(); ++w) {
    nonces.clear();
    Scan(works[w], start, count, &nonces);
    for (uint32_t n : nonces) found->push_back({static_cast<uint32_t>(w), n});
  }
}

}  // namespace synth::hash
