#include "master/api/access.h"

#include "gtest/gtest.h"

namespace synth::api {
namespace {

ApiAccess Parse(absl::string_view list) {
  absl::StatusOr<ApiAccess> a = ApiAccess::Parse(list);
  EXPECT_TRUE(a.ok()) << a.status();
  return a.ok() ? *a : ApiAccess();
}

TEST(ApiAccessTest, EmptyListLetsEveryoneReadAndNobodyWrite) {
  ApiAccess a = Parse("");
  EXPECT_EQ(a.Lookup("127.0.0.1"), ApiGroup::kRead);
  EXPECT_EQ(a.Lookup("2001:db8::1"), ApiGroup::kRead);
  EXPECT_TRUE(a.read_only());
}

TEST(ApiAccessTest, WriteEntriesOnlyGrantWriteOthersStillRead) {
  ApiAccess a = Parse("W:127.0.0.1, W:10.1/16");
  EXPECT_EQ(a.Lookup("127.0.0.1"), ApiGroup::kWrite);
  EXPECT_EQ(a.Lookup("10.1.200.3"), ApiGroup::kWrite);
  EXPECT_EQ(a.Lookup("10.2.0.1"), ApiGroup::kRead);
  EXPECT_EQ(a.Lookup("127.0.0.2"), ApiGroup::kRead);
  EXPECT_FALSE(a.read_only());
}

TEST(ApiAccessTest, ReadEntriesMakeItAnAllowList) {
  // cgminer: with --api-allow, an address that matches nothing gets nothing.
  ApiAccess a = Parse("W:127.0.0.1,192.168.0/24,R:10.0.0.5");
  EXPECT_EQ(a.Lookup("127.0.0.1"), ApiGroup::kWrite);
  EXPECT_EQ(a.Lookup("192.168.0.77"), ApiGroup::kRead);
  EXPECT_EQ(a.Lookup("10.0.0.5"), ApiGroup::kRead);
  EXPECT_EQ(a.Lookup("10.0.0.6"), ApiGroup::kNone);
  EXPECT_EQ(a.Lookup("not an address"), ApiGroup::kNone);
}

TEST(ApiAccessTest, FirstMatchDecides) {
  ApiAccess a = Parse("R:10.0.0.1,W:10.0.0.0/8");
  EXPECT_EQ(a.Lookup("10.0.0.1"), ApiGroup::kRead);
  EXPECT_EQ(a.Lookup("10.0.0.2"), ApiGroup::kWrite);
}

TEST(ApiAccessTest, PaddingPrefixesAndAllAddresses) {
  ApiAccess a = Parse("W:0/0");
  EXPECT_EQ(a.Lookup("8.8.8.8"), ApiGroup::kWrite);
  EXPECT_EQ(a.Lookup("::1"), ApiGroup::kRead);  // 0/0 is IPv4 only.
  ApiAccess b = Parse("W:172.16.0.0/12");
  EXPECT_EQ(b.Lookup("172.31.255.255"), ApiGroup::kWrite);
  EXPECT_EQ(b.Lookup("172.32.0.0"), ApiGroup::kRead);
}

TEST(ApiAccessTest, Ipv6AndMappedIpv4) {
  ApiAccess a = Parse("W:[::1],W:2001:db8::/32,W:127.0.0.1");
  EXPECT_EQ(a.Lookup("::1"), ApiGroup::kWrite);
  EXPECT_EQ(a.Lookup("2001:db8:ffff::9"), ApiGroup::kWrite);
  EXPECT_EQ(a.Lookup("2001:db9::1"), ApiGroup::kRead);
  // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
  EXPECT_EQ(a.Lookup("::ffff:127.0.0.1"), ApiGroup::kWrite);
}

TEST(ApiAccessTest, BadEntriesAreErrors) {
  for (const char* bad : {"X:127.0.0.1", "W:300.0.0.1", "W:1.2.3.4/33", "W:::1/129", "W:host",
                          "1.2.3.4.5", "W:1.2.3.4/", "W:1.2.3.4/-1", "R:"}) {
    absl::StatusOr<ApiAccess> a = ApiAccess::Parse(bad);
    EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace synth::api
