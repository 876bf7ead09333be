#include "proto/share_states.h"

#include "common/logging.h"

namespace synth::proto {

const ShareStateInfo* FindShareState(v1::ShareState state) {
  for (const ShareStateInfo& s : kShareStates) {
    if (s.state == state) return &s;
  }
  return nullptr;
}

std::string_view ShareStateName(v1::ShareState state) {
  const ShareStateInfo* s = FindShareState(state);
  return s != nullptr ? s->name : "unspecified";
}

uint64_t CountOf(const v1::ShareCounts& counts, v1::ShareState state) {
  const ShareStateInfo* s = FindShareState(state);
  return s != nullptr ? (counts.*s->count)() : 0;
}

void CountShare(v1::ShareState state, v1::ShareCounts* counts, int64_t n) {
  const ShareStateInfo* s = FindShareState(state);
  CHECK(s != nullptr) << "share state " << static_cast<int>(state) << " has no ledger row";
  (counts->*s->set_count)((counts->*s->count)() + static_cast<uint64_t>(n));
}

uint64_t SumOfStates(const v1::ShareCounts& counts) {
  uint64_t sum = 0;
  for (const ShareStateInfo& s : kShareStates) sum += (counts.*s.count)();
  return sum;
}

}  // namespace synth::proto
