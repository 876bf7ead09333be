// File: common/hash/scan.h
//
// The unit of hashing that every hash core, CPU or GPU, works on: one midstate (the SHA-256 state
// after the first 64 header bytes), the 12 header bytes that follow it, a nonce range, and a
// share target. Cores return every nonce whose sha256d(header) meets the target.
//
//   ScanWork work = MakeScanWork(header_bytes, target);   // header_bytes: >= 76 bytes
//   std::vector<uint32_t> found;
//   core->Scan(work, 0, uint64_t{1} << 20, &found);
//   for (uint32_t n : found) CHECK(MeetsTarget(HashNonce(work, n), work.target));
//   std::vector<RowFound> row;                  // version-rolled siblings, one schedule per nonce
//   core->ScanRow(sibling_works, 0, uint64_t{1} << 20, &row);
//
// Byte orders (docs/DESIGN.md §3): the header nonce is stored little-endian at bytes 76..79, so the
// second block's message word W3 is the byte-swapped nonce. A hash meets a target when its 32
// bytes, read as a 256-bit little-endian number, are <= the target.
#ifndef SYNTH_COMMON_HASH_SCAN_H_
#define SYNTH_COMMON_HASH_SCAN_H_

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/hash/sha256.h"

namespace synth::hash {

// A 256-bit target as eight 32-bit words, least significant first: word i holds hash bytes
// 4i..4i+3 read little-endian. word[7] is the most significant ("H7 == 0" <=> word[7] == 0 of
// the hash, for targets at or below difficulty 1).
using Target256 = std::array<uint32_t, 8>;

// Everything a core needs to hash nonces of one header.
struct ScanWork {
  State midstate{};                 // SHA-256 state after header bytes 0..63.
  std::array<uint8_t, 12> tail{};   // Header bytes 64..75: merkle root tail, ntime, nbits.
  Target256 target{};               // Share target; a nonce is found when hash <= target.
};

// Returns the work for a header's first 76 bytes (a full 80-byte header may be passed; its
// nonce is ignored). `header` must hold at least 76 bytes.
ScanWork MakeScanWork(std::span<const uint8_t> header, const Target256& target);

// Returns the sha256d of the header that `work` describes with `nonce`, by the scalar reference.
Digest HashNonce(const ScanWork& work, uint32_t nonce);

// Returns, in increasing order, every nonce in [start, start + count) whose sha256d meets
// work.target, one nonce at a time by the scalar reference: what every fast core is checked
// against (the dispatcher's self-test, the core and device tests).
std::vector<uint32_t> ReferenceScan(const ScanWork& work, uint32_t start, uint64_t count);

// Returns the hash as a Target256-shaped number (word i = LE32 of bytes 4i..4i+3).
Target256 HashAsWords(const Digest& hash);

// Returns true when `hash`, read as a 256-bit little-endian number, is <= `target`.
bool MeetsTarget(const Digest& hash, const Target256& target);

// A nonce of works[work] that met that work's target, as HashCore::ScanRow reports it.
struct RowFound {
  uint32_t work = 0;
  uint32_t nonce = 0;
  bool operator==(const RowFound&) const = default;
};

// The most works one row kernel hashes together (HashCore::MaxRow).
inline constexpr int kMaxRowWorks = 8;

// Returns true when every work of `works` has the same tail (header bytes 64..75) and target
// as works[0], so one message schedule per nonce serves them all: sibling midstates of version
// rolling (the version is in the first 64 header bytes) are such a row.
bool SharesTail(std::span<const ScanWork> works);

// The interface of a CPU hash core (scalar, SHA-NI, AVX2, AVX-512). One implementation per file,
// each compiled with its own ISA flags; see dispatch.h for selection.
// Thread-safe: Scan() and ScanRow() are const and keep no shared mutable state.
class HashCore {
 public:
  virtual ~HashCore() = default;

  // Returns the core's stable name ("scalar", "sha-ni", "avx2", "avx512"), as --hash-core takes.
  virtual std::string_view Name() const = 0;

  // Returns true when this CPU can run the core (CPUID + XGETBV checks).
  virtual bool Supported() const = 0;

  // Hashes nonces [start, start + count) of `work`, where start + count <= 2^32, and appends
  // every nonce whose sha256d meets work.target to `found`, in increasing order.
  virtual void Scan(const ScanWork& work, uint32_t start, uint64_t count,
                    std::vector<uint32_t>* found) const = 0;

  // Returns how many works ScanRow() hashes together, sharing each nonce's first-hash message
  // schedule (1: it scans them one after another).
  virtual int MaxRow() const { return 1; }

  // Hashes nonces [start, start + count) (start + count <= 2^32) of every work in `works` and
  // appends each (work index, nonce) that meets that work's target, in no particular order.
  // Works that SharesTail() are hashed up to MaxRow() at a time, sharing each nonce's message
  // schedule; otherwise this is one Scan() per work (the default).
  virtual void ScanRow(std::span<const ScanWork> works, uint32_t start, uint64_t count,
                       std::vector<RowFound>* found) const;
};

}  // namespace synth::hash

#endif  // SYNTH_COMMON_HASH_SCAN_H_
