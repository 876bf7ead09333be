#include "common/bitcoin/merkle.h"

#include <cstring>

#include "common/logging.h"

namespace synth::bitcoin {
namespace {

Hash256 HashPair(const Hash256& a, const Hash256& b) {
  uint8_t buf[64];
  std::memcpy(buf, a.data(), 32);
  std::memcpy(buf + 32, b.data(), 32);
  return Sha256dHash(buf);
}

}  // namespace

std::vector<uint8_t> AssembleCoinbase(std::span<const uint8_t> coinb1,
                                      std::span<const uint8_t> extranonce1,
                                      std::span<const uint8_t> extranonce2,
                                      std::span<const uint8_t> coinb2) {
  std::vector<uint8_t> out;
  out.reserve(coinb1.size() + extranonce1.size() + extranonce2.size() + coinb2.size());
  out.insert(out.end(), coinb1.begin(), coinb1.end());
  out.insert(out.end(), extranonce1.begin(), extranonce1.end());
  out.insert(out.end(), extranonce2.begin(), extranonce2.end());
  out.insert(out.end(), coinb2.begin(), coinb2.end());
  return out;
}

Hash256 Sha256dHash(std::span<const uint8_t> data) { return hash::Sha256d(data); }

Hash256 MerkleRootFromBranch(const Hash256& coinbase_hash, std::span<const Hash256> branch) {
  Hash256 root = coinbase_hash;
  for (const Hash256& b : branch) root = HashPair(root, b);
  return root;
}

Hash256 MerkleRoot(std::span<const Hash256> txids) {
  CHECK(!txids.empty()) << "merkle root of no transactions";
  std::vector<Hash256> level(txids.begin(), txids.end());
  while (level.size() > 1) {
    if (level.size() % 2 == 1) level.push_back(level.back());
    std::vector<Hash256> next(level.size() / 2);
    for (size_t i = 0; i < next.size(); ++i) next[i] = HashPair(level[2 * i], level[2 * i + 1]);
    level = std::move(next);
  }
  return level[0];
}

std::vector<Hash256> MerkleBranchForFirst(std::span<const Hash256> txids) {
  std::vector<Hash256> branch;
  std::vector<Hash256> level(txids.begin(), txids.end());
  while (level.size() > 1) {
    if (level.size() % 2 == 1) level.push_back(level.back());
    branch.push_back(level[1]);
    std::vector<Hash256> next(level.size() / 2);
    for (size_t i = 0; i < next.size(); ++i) next[i] = HashPair(level[2 * i], level[2 * i + 1]);
    level = std::move(next);
  }
  return branch;
}

}  // namespace synth::bitcoin
