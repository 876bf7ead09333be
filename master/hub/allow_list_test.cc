#include "master/hub/allow_list.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::hub {
namespace {

asio::ip::address A(const char* s) { return asio::ip::make_address(s); }

TEST(AllowListTest, DefaultIsLoopbackOnly) {
  absl::StatusOr<AllowList> allow = AllowList::Parse(kDefaultAllow);
  ASSERT_TRUE(allow.ok()) << allow.status();
  EXPECT_TRUE(allow->Allows(A("127.0.0.1")));
  EXPECT_TRUE(allow->Allows(A("127.255.0.9")));
  EXPECT_TRUE(allow->Allows(A("::1")));
  EXPECT_TRUE(allow->Allows(A("::ffff:127.0.0.1")));  // Dual-stack socket's view of IPv4.
  EXPECT_FALSE(allow->Allows(A("10.0.0.1")));
  EXPECT_FALSE(allow->Allows(A("::2")));
  EXPECT_EQ(allow->ToString(), "127.0.0.0/8,::1/128");
}

TEST(AllowListTest, PrefixesOnAndOffByteBoundaries) {
  absl::StatusOr<AllowList> allow = AllowList::Parse(" 10.1.0.0/16, 192.168.7.128/25 ,fd00::/8,203.0.113.5");
  ASSERT_TRUE(allow.ok()) << allow.status();
  EXPECT_TRUE(allow->Allows(A("10.1.200.3")));
  EXPECT_FALSE(allow->Allows(A("10.2.0.1")));
  EXPECT_TRUE(allow->Allows(A("192.168.7.200")));
  EXPECT_FALSE(allow->Allows(A("192.168.7.100")));
  EXPECT_TRUE(allow->Allows(A("fd12::1")));
  EXPECT_FALSE(allow->Allows(A("fe80::1")));
  EXPECT_TRUE(allow->Allows(A("203.0.113.5")));
  EXPECT_FALSE(allow->Allows(A("203.0.113.6")));
  EXPECT_TRUE(AllowList::Parse("0.0.0.0/0")->Allows(A("8.8.8.8")));
}

TEST(AllowListTest, BadEntriesAreErrorsNamingThem) {
  for (const char* bad : {"", " , ", "10.0.0.0/33", "::/129", "nonsense/8", "10.0.0.0/x",
                          "10.0.0.0/-1"}) {
    absl::StatusOr<AllowList> allow = AllowList::Parse(bad);
    EXPECT_FALSE(allow.ok()) << bad;
    EXPECT_THAT(allow.status().message(), ::testing::HasSubstr("--stratum-allow")) << bad;
  }
}

}  // namespace
}  // namespace synth::hub
