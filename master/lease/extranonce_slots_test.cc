#include "master/lease/extranonce_slots.h"

#include "gtest/gtest.h"

namespace synth::lease {
namespace {

TEST(ExtranonceSlotsTest, FreshSlotsFirstNeverSlotZeroAndAuditClean) {
  ExtranonceSlots slots;
  slots.SetCapacity(3);
  EXPECT_EQ(*slots.Acquire(10, 0, 1), 1u);
  EXPECT_EQ(*slots.Acquire(11, 0, 1), 2u);
  EXPECT_EQ(*slots.Acquire(12, 0, 1), 3u);
  EXPECT_EQ(slots.Acquire(13, 0, 1).status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(slots.Acquire(10, 0, 1).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(slots.SlotOf(11), 2u);
  EXPECT_EQ(slots.SlotOf(99), 0u);
  EXPECT_TRUE(slots.Audit().ok()) << slots.Audit();
}

TEST(ExtranonceSlotsTest, AReleasedSlotWaitsUntilItsJobsHaveDied) {
  ExtranonceSlots slots;
  slots.SetCapacity(2);
  ASSERT_TRUE(slots.Acquire(1, 0, 1).ok());
  ASSERT_TRUE(slots.Acquire(2, 0, 1).ok());
  slots.Release(1, /*newest_seq=*/5);  // Jobs up to seq 5 may still be live.
  EXPECT_EQ(slots.quarantined(), 1u);
  // Job 5 still live (oldest live seq 5): nothing to give.
  EXPECT_EQ(slots.Acquire(3, 0, 5).status().code(), absl::StatusCode::kResourceExhausted);
  // Every job up to 5 died (oldest live is 6): the slot is reused.
  EXPECT_EQ(*slots.Acquire(3, 0, 6), 1u);
  EXPECT_TRUE(slots.Audit().ok()) << slots.Audit();
}

TEST(ExtranonceSlotsTest, AResumingConnectionGetsItsFreeSlotBack) {
  ExtranonceSlots slots;
  slots.SetCapacity(10);
  ASSERT_EQ(*slots.Acquire(1, 0, 1), 1u);
  ASSERT_EQ(*slots.Acquire(2, 0, 1), 2u);
  slots.Release(1, 3);
  EXPECT_EQ(*slots.Acquire(7, /*wanted=*/1, 1), 1u);  // Quarantined, but resumed: its own.
  EXPECT_EQ(slots.quarantined(), 0u);
  EXPECT_EQ(*slots.Acquire(8, /*wanted=*/2, 1), 3u);  // Held by another: a fresh one.
  EXPECT_EQ(*slots.Acquire(9, /*wanted=*/9, 1), 4u);  // Never handed out: not resumable.
  EXPECT_TRUE(slots.Audit().ok()) << slots.Audit();
}

TEST(ExtranonceSlotsTest, ShrinkingDisplacesTheHoldersOfSlotsThatNoLongerExist) {
  ExtranonceSlots slots;
  slots.SetCapacity(5);
  for (uint64_t owner = 1; owner <= 5; ++owner) ASSERT_TRUE(slots.Acquire(owner, 0, 1).ok());
  slots.Release(2, 1);
  slots.Release(5, 1);
  EXPECT_EQ(slots.SetCapacity(3), (std::vector<uint64_t>{4}));
  EXPECT_EQ(slots.SlotOf(4), 0u);
  EXPECT_EQ(slots.held(), 2u);
  EXPECT_EQ(slots.quarantined(), 1u);
  EXPECT_TRUE(slots.Audit().ok()) << slots.Audit();
  EXPECT_EQ(slots.SetCapacity(100), std::vector<uint64_t>{});
  EXPECT_EQ(*slots.Acquire(9, 0, 1), 4u);
  EXPECT_TRUE(slots.Audit().ok()) << slots.Audit();
}

}  // namespace
}  // namespace synth::lease
