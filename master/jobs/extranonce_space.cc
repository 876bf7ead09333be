#include "master/jobs/extranonce_space.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace synth::jobs {
namespace {

uint64_t SlotsFor(int prefix_bytes) {
  return prefix_bytes <= 0 ? 0 : (uint64_t{1} << (8 * prefix_bytes)) - 1;
}

}  // namespace

ExtranoncePartition PartitionExtranonce2(int size, uint64_t wanted_slots) {
  ExtranoncePartition p;
  if (wanted_slots == 0 || size <= 0) return p;
  int want = 1;  // Slot 0 is the synth-workers': `want` bytes must name wanted_slots + 1 values.
  while (want < kMaxPrefixBytes && SlotsFor(want) < wanted_slots) ++want;
  int prefix = want;
  if (size - want < kPreferredMinerBytes) {
    prefix = std::min(want, size - kMinMinerBytes);
    p.reduced = true;
  }
  if (prefix <= 0) return p;  // Not even kMinMinerBytes left after one slot byte.
  p.prefix_bytes = prefix;
  p.miner_bytes = size - prefix;
  p.slots = SlotsFor(prefix);
  return p;
}

std::vector<uint8_t> SlotPrefix(uint64_t slot, int prefix_bytes) {
  std::vector<uint8_t> out(static_cast<size_t>(std::max(prefix_bytes, 0)));
  for (int i = 0; i < prefix_bytes; ++i) {
    out[prefix_bytes - 1 - i] = static_cast<uint8_t>(slot >> (8 * i));
  }
  return out;
}

std::string DescribePartition(int size, const ExtranoncePartition& p) {
  if (p.prefix_bytes == 0) {
    return absl::StrCat("extranonce2 of ", size, " bytes is too short to share with downstream",
                        " miners (each needs ", kMinMinerBytes, " bytes after a slot byte)");
  }
  std::string line = absl::StrCat("extranonce2 of ", size, " bytes: ", p.prefix_bytes,
                                  " slot bytes (", p.slots, " downstream slots), ", p.miner_bytes,
                                  " bytes per miner");
  if (p.reduced) {
    absl::StrAppend(&line, " (reduced: the preferred ", kPreferredMinerBytes,
                    " bytes per miner do not fit)");
  }
  return line;
}

}  // namespace synth::jobs
