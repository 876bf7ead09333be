// File: master/jobs/extranonce_space.h
//
// How the master splits the pool's extranonce2 between its synth-workers and the Stratum miners
// of its downstream port (docs/HUB.md). The first `prefix_bytes` of every extranonce2 name a
// slot: slot 0 belongs to the synth-workers (JobBuilder's counter fills the bytes after it), and
// slots 1..slots are given one per downstream connection, whose miner rolls the remaining
// `miner_bytes` itself (its extranonce1 is the pool's extranonce1 followed by the slot bytes).
// No two connections, and no connection and a synth-worker, can therefore build the same
// coinbase: disjoint by construction.
//
//   ExtranoncePartition p = PartitionExtranonce2(/*size=*/8, /*wanted_slots=*/10000);
//   // p.prefix_bytes == 2, p.miner_bytes == 6, p.slots == 65535
//   std::vector<uint8_t> en1 = pool_en1;  append SlotPrefix(7, p.prefix_bytes) to it;
//
// The preferred partition leaves each miner at least kPreferredMinerBytes; an extranonce2 too
// short for that (4 bytes is common) gets the longest prefix that still leaves each miner
// kMinMinerBytes (and `reduced` says so); one too short even for that (2 bytes or less) has no
// downstream slots at all.
//
// Thread-safe: pure functions.
#ifndef SYNTH_MASTER_JOBS_EXTRANONCE_SPACE_H_
#define SYNTH_MASTER_JOBS_EXTRANONCE_SPACE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace synth::jobs {

inline constexpr int kPreferredMinerBytes = 4;  // What most miners assume (cgminer's default).
inline constexpr int kMinMinerBytes = 2;        // The least a miner gets.
inline constexpr int kMaxPrefixBytes = 3;       // 16,777,215 slots is plenty.

struct ExtranoncePartition {
  int prefix_bytes = 0;  // Slot bytes at the front of extranonce2 (0: no downstream slots).
  int miner_bytes = 0;   // extranonce2 bytes a downstream miner rolls (size - prefix_bytes).
  uint64_t slots = 0;    // Downstream slots, 1..slots (2^(8·prefix_bytes) - 1).
  bool reduced = false;  // The preferred partition did not fit (fewer slots or miner bytes).

  friend bool operator==(const ExtranoncePartition&, const ExtranoncePartition&) = default;
};

// Returns the partition of an extranonce2 of `size` bytes (1..8) for `wanted_slots` downstream
// connections (0: none, the port is off).
ExtranoncePartition PartitionExtranonce2(int size, uint64_t wanted_slots);

// Returns slot `slot` as `prefix_bytes` big-endian bytes (the bytes after the pool's
// extranonce1 in a downstream miner's coinbase).
std::vector<uint8_t> SlotPrefix(uint64_t slot, int prefix_bytes);

// Returns one line for the log: "extranonce2 of 4 bytes: 2 slot bytes (65535 downstream
// slots), 2 bytes per miner (reduced: ...)".
std::string DescribePartition(int size, const ExtranoncePartition& p);

}  // namespace synth::jobs

#endif  // SYNTH_MASTER_JOBS_EXTRANONCE_SPACE_H_
