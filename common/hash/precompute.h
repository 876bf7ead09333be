// File: common/hash/precompute.h
//
// The nonce-independent part of sha256d(header) for one midstate, computed once per ScanWork and
// shared by every CPU hash core (scalar, SHA-NI, AVX2, AVX-512). Internal to common/hash.
//
//   Precomp p = MakePrecomp(work);
//   // Lane cores start the first compression at round 4 from p.state4 (+W3 in lanes a and e),
//   // SHA-NI starts at round 2 from p.state2.
//
// Second header block (the one holding the nonce): W0..W2 = tail words (fixed per midstate),
// W3 = byte-swapped nonce, W4 = 0x80000000, W5..W14 = 0, W15 = 640. Rounds 0..2 are therefore
// fixed; round 3 adds W3 to the precomputed T1 only. Schedule words W16, W17 are fixed, W18..W32
// keep fixed partial sums (see lane_kernel.h for which). The second hash's message is the
// 32-byte digest plus constant padding (W8 = 0x80000000, W15 = 256).
//
// Thread-safe: pure functions; a Precomp is immutable after construction.
#ifndef SYNTH_COMMON_HASH_PRECOMPUTE_H_
#define SYNTH_COMMON_HASH_PRECOMPUTE_H_

#include <cstdint>
#include <vector>

#include "common/hash/scan.h"

namespace synth::hash {

struct Precomp {
  uint32_t midstate[8];  // Added to the first compression's output.
  uint32_t w[3];         // W0..W2 of the second header block.
  uint32_t state2[8];    // a..h after rounds 0..1 (SHA-NI cores start here).
  // a..h entering round 4 with W3 = 0: the real state has a += W3 and e += W3.
  uint32_t state4[8];
  uint32_t kw1[18];   // K[i] + W[i] for the fixed words i = 4..17 of the first hash.
  uint32_t w16, w17;  // Fixed schedule words of the first hash.
  uint32_t w18c;      // W18 = w18c + sigma0(W3).
  uint32_t w19c;      // W19 = w19c + W3.
  uint32_t w31c;      // W31 = sigma1(W29) + W24 + w31c.
  uint32_t w32c;      // W32 = sigma1(W30) + W25 + w32c.
  uint32_t target7;   // Top word of the share target (see CandidateTop).
};

// Returns the precomputation for `work`.
Precomp MakePrecomp(const ScanWork& work);

// Constants of the second hash (message = digest words W0..W7, then padding).
// Round 0 of the second hash starts from the IV: T1 = kH2T1 + W0, a1 = T1 + kH2T2, e1 = T1 + IV[3].
extern const uint32_t kH2T1;
extern const uint32_t kH2T2;
// K[i] + W[i] for the padding words i = 8..15 of the second hash (index i - 8).
extern const uint32_t kH2Kw[8];

// Verifies a candidate with the scalar reference; appends `nonce` to `found` when its sha256d
// meets work.target. Compiled without ISA flags (the one place cores grow a vector).
void AppendIfMeetsTarget(const ScanWork& work, uint32_t nonce, std::vector<uint32_t>* found);

// As AppendIfMeetsTarget, for a row: appends {work_index, nonce} to `found`.
void AppendRowIfMeetsTarget(const ScanWork& work, uint32_t work_index, uint32_t nonce,
                            std::vector<RowFound>* found);

// Returns true when a nonce whose final state word 7 is `s7` (= 0x5be0cd19 + e after round 60
// of the second hash) may meet a target with top word `target7`: the hash's top word is
// bswap(s7), and hash <= target implies top word <= target7. Cores verify candidates with
// the scalar reference, so found sets are exact for any target.
bool CandidateTop(uint32_t s7, uint32_t target7);

}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_PRECOMPUTE_H_
