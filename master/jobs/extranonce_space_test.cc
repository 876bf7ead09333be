#include "master/jobs/extranonce_space.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::jobs {
namespace {

TEST(PartitionExtranonce2Test, PreferredPartitionLeavesEachMinerFourBytesOrMore) {
  ExtranoncePartition p = PartitionExtranonce2(8, 10000);  // ckpool's default size.
  EXPECT_EQ(p.prefix_bytes, 2);
  EXPECT_EQ(p.miner_bytes, 6);
  EXPECT_EQ(p.slots, 65535u);
  EXPECT_FALSE(p.reduced);
  p = PartitionExtranonce2(8, 200);  // One byte names 255 slots.
  EXPECT_EQ(p.prefix_bytes, 1);
  EXPECT_EQ(p.miner_bytes, 7);
  p = PartitionExtranonce2(8, 100000);
  EXPECT_EQ(p.prefix_bytes, 3);
  EXPECT_EQ(p.slots, 16777215u);
}

TEST(PartitionExtranonce2Test, ShortExtranonce2KeepsTwoBytesPerMinerOrHasNoSlots) {
  ExtranoncePartition p = PartitionExtranonce2(4, 10000);
  EXPECT_EQ(p.prefix_bytes, 2);
  EXPECT_EQ(p.miner_bytes, 2);
  EXPECT_EQ(p.slots, 65535u);
  EXPECT_TRUE(p.reduced);
  p = PartitionExtranonce2(3, 10000);  // Fewer slots than wanted.
  EXPECT_EQ(p.prefix_bytes, 1);
  EXPECT_EQ(p.miner_bytes, 2);
  EXPECT_EQ(p.slots, 255u);
  EXPECT_TRUE(p.reduced);
  for (int size : {1, 2}) {
    p = PartitionExtranonce2(size, 10000);
    EXPECT_EQ(p.prefix_bytes, 0) << size;
    EXPECT_EQ(p.slots, 0u) << size;
  }
  EXPECT_THAT(DescribePartition(2, p), ::testing::HasSubstr("too short"));
  EXPECT_THAT(DescribePartition(4, PartitionExtranonce2(4, 10000)),
              ::testing::HasSubstr("reduced"));
}

TEST(PartitionExtranonce2Test, NoSlotsWantedMeansNoPrefix) {
  EXPECT_EQ(PartitionExtranonce2(8, 0), ExtranoncePartition{});
}

TEST(SlotPrefixTest, BigEndianOfTheGivenWidth) {
  EXPECT_EQ(SlotPrefix(1, 2), (std::vector<uint8_t>{0, 1}));
  EXPECT_EQ(SlotPrefix(0x1234, 2), (std::vector<uint8_t>{0x12, 0x34}));
  EXPECT_EQ(SlotPrefix(5, 1), (std::vector<uint8_t>{5}));
  EXPECT_TRUE(SlotPrefix(5, 0).empty());
}

}  // namespace
}  // namespace synth::jobs
