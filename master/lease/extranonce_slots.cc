#include "master/lease/extranonce_slots.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace synth::lease {

std::vector<uint64_t> ExtranonceSlots::SetCapacity(uint64_t capacity) {
  std::vector<uint64_t> displaced;
  if (capacity < capacity_) {
    for (const auto& [slot, owner] : owner_of_) {
      if (slot > capacity) displaced.push_back(owner);
    }
    for (uint64_t owner : displaced) {
      owner_of_.erase(by_owner_[owner]);
      by_owner_.erase(owner);
    }
    std::erase_if(quarantine_, [&](const Released& r) { return r.slot > capacity; });
    next_fresh_ = std::min(next_fresh_, capacity + 1);
  }
  capacity_ = capacity;
  std::sort(displaced.begin(), displaced.end());
  return displaced;
}

absl::StatusOr<uint64_t> ExtranonceSlots::Acquire(uint64_t owner, uint64_t wanted,
                                                  uint64_t oldest_live_seq) {
  if (by_owner_.contains(owner)) {
    return absl::FailedPreconditionError(absl::StrCat("owner ", owner, " already holds a slot"));
  }
  uint64_t slot = 0;
  if (wanted >= 1 && wanted < next_fresh_ && !owner_of_.contains(wanted)) {
    slot = wanted;  // A resumed session: its slot, from the quarantine.
    std::erase_if(quarantine_, [&](const Released& r) { return r.slot == wanted; });
  } else if (next_fresh_ <= capacity_) {
    slot = next_fresh_++;
  } else if (!quarantine_.empty() && quarantine_.front().newest_seq < oldest_live_seq) {
    slot = quarantine_.front().slot;
    quarantine_.pop_front();
  } else {
    return absl::ResourceExhaustedError(absl::StrCat(
        "all ", capacity_, " extranonce2 slots are held or wait for their jobs to end"));
  }
  owner_of_[slot] = owner;
  by_owner_[owner] = slot;
  return slot;
}

void ExtranonceSlots::Release(uint64_t owner, uint64_t newest_seq) {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return;
  uint64_t slot = it->second;
  by_owner_.erase(it);
  owner_of_.erase(slot);
  quarantine_.push_back({slot, newest_seq});
}

uint64_t ExtranonceSlots::SlotOf(uint64_t owner) const {
  auto it = by_owner_.find(owner);
  return it == by_owner_.end() ? 0 : it->second;
}

absl::Status ExtranonceSlots::Audit() const {
  auto bad = [](auto&&... parts) { return absl::InternalError(absl::StrCat("slots: ", parts...)); };
  if (owner_of_.size() != by_owner_.size()) return bad("owner and slot maps differ in size");
  for (const auto& [owner, slot] : by_owner_) {
    auto it = owner_of_.find(slot);
    if (it == owner_of_.end() || it->second != owner) return bad("slot ", slot, " not mirrored");
    if (slot == 0) return bad("slot 0 (the synth-workers') is held by ", owner);
    if (slot > capacity_ || slot >= next_fresh_) return bad("slot ", slot, " out of range");
  }
  absl::flat_hash_set<uint64_t> waiting;
  for (const Released& r : quarantine_) {
    if (!waiting.insert(r.slot).second) return bad("slot ", r.slot, " quarantined twice");
    if (owner_of_.contains(r.slot)) return bad("slot ", r.slot, " both held and quarantined");
    if (r.slot == 0 || r.slot >= next_fresh_) return bad("quarantined slot ", r.slot, " unknown");
  }
  if (owner_of_.size() + quarantine_.size() != next_fresh_ - 1) {
    return bad(next_fresh_ - 1, " slots handed out but ", owner_of_.size(), " held and ",
               quarantine_.size(), " quarantined");
  }
  return absl::OkStatus();
}

}  // namespace synth::lease
