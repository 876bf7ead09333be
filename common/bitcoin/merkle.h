// File: common/bitcoin/merkle.h
//
// Coinbase assembly and merkle roots as Stratum uses them (docs/DESIGN.md §3):
//   coinbase = coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2;  root = sha256d(coinbase);
//   for each branch hash b: root = sha256d(root ‖ b).
//
//   std::vector<uint8_t> cb = AssembleCoinbase(coinb1, en1, en2, coinb2);
//   Hash256 root = MerkleRootFromBranch(Sha256dHash(cb), branch);
//
// A pool builds the branch with MerkleBranchForFirst(txids). All hashes in internal order.
// Thread-safe: pure functions.
#ifndef SYNTH_COMMON_BITCOIN_MERKLE_H_
#define SYNTH_COMMON_BITCOIN_MERKLE_H_

#include <cstdint>
#include <span>
#include <vector>

#include "common/bitcoin/header.h"

namespace synth::bitcoin {

// Returns coinb1 ‖ extranonce1 ‖ extranonce2 ‖ coinb2.
std::vector<uint8_t> AssembleCoinbase(std::span<const uint8_t> coinb1,
                                      std::span<const uint8_t> extranonce1,
                                      std::span<const uint8_t> extranonce2,
                                      std::span<const uint8_t> coinb2);

// Returns sha256d(data) in internal order.
Hash256 Sha256dHash(std::span<const uint8_t> data);

// Folds a Stratum merkle branch onto the coinbase hash.
Hash256 MerkleRootFromBranch(const Hash256& coinbase_hash, std::span<const Hash256> branch);

// Returns the merkle root of all `txids` (Bitcoin's rule: an odd level repeats its last hash).
// `txids` must not be empty.
Hash256 MerkleRoot(std::span<const Hash256> txids);

// Returns the Stratum branch for the first transaction (the coinbase) of a block whose
// transactions are txids[0] (a placeholder for the coinbase) followed by the rest.
std::vector<Hash256> MerkleBranchForFirst(std::span<const Hash256> txids);

}  // namespace synth::bitcoin

#endif  // SYNTH_COMMON_BITCOIN_MERKLE_H_
