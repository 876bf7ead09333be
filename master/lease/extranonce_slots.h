// File: master/lease/extranonce_slots.h
//
// Which downstream Stratum connection holds which extranonce2 slot (master/jobs/
// extranonce_space.h): the other half of the coverage the lease manager keeps for synth-workers.
// Slot 0 is the synth-workers' and never handed out; slots 1..capacity go one per connection.
// A released slot is quarantined until every job that was live when it was released has died,
// so a new holder can never hash a coinbase its predecessor may still submit shares for. A
// connection that resumes (mining.subscribe with its old session id) gets its slot back when no
// one holds it: the shares it found before are in the same dedupe table.
//
//   ExtranonceSlots slots;
//   slots.SetCapacity(65535);
//   ASSIGN_OR_RETURN(uint64_t slot, slots.Acquire(/*owner=*/42, /*wanted=*/0, oldest_live_seq));
//   ...
//   slots.Release(42, newest_seq);
//   RETURN_IF_ERROR(slots.Audit());
//
// Thread-compatible: the owner (service::Cluster) serializes every call.
#ifndef SYNTH_MASTER_LEASE_EXTRANONCE_SLOTS_H_
#define SYNTH_MASTER_LEASE_EXTRANONCE_SLOTS_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace synth::lease {

class ExtranonceSlots {
 public:
  // Sets how many slots exist (1..capacity). Returns the owners whose slot no longer exists
  // (they lost it; give them a new extranonce or reconnect them).
  std::vector<uint64_t> SetCapacity(uint64_t capacity);

  // Gives `owner` a slot: `wanted` (1..capacity) when it is free, else a never-used slot, else
  // the oldest quarantined slot released before `oldest_live_seq` (the seq of the oldest job
  // still live). RESOURCE_EXHAUSTED when every slot is held or quarantined; FAILED_PRECONDITION
  // when `owner` already holds one.
  absl::StatusOr<uint64_t> Acquire(uint64_t owner, uint64_t wanted, uint64_t oldest_live_seq);

  // Takes `owner`'s slot back into quarantine; `newest_seq` is the seq of the newest job now.
  // No-op for an owner without a slot.
  void Release(uint64_t owner, uint64_t newest_seq);

  // Returns the slot of `owner`, 0 when it holds none.
  uint64_t SlotOf(uint64_t owner) const;

  uint64_t capacity() const { return capacity_; }
  size_t held() const { return by_owner_.size(); }
  size_t quarantined() const { return quarantine_.size(); }

  // Checks the bookkeeping: slot 0 never held, every held slot within capacity and held once,
  // owners and slots mirror each other, a quarantined slot is not held, and every slot ever
  // handed out is held or quarantined. INTERNAL with the first violation.
  absl::Status Audit() const;

 private:
  struct Released {
    uint64_t slot = 0;
    uint64_t newest_seq = 0;  // Reusable once every job up to this seq has died.
  };

  uint64_t capacity_ = 0;
  uint64_t next_fresh_ = 1;  // Slots below it have been handed out at least once.
  absl::flat_hash_map<uint64_t, uint64_t> owner_of_;  // slot → owner
  absl::flat_hash_map<uint64_t, uint64_t> by_owner_;  // owner → slot
  std::deque<Released> quarantine_;                   // Oldest release first.
};

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_EXTRANONCE_SLOTS_H_
