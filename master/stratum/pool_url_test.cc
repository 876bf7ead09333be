#include "master/stratum/pool_url.h"

#include "gtest/gtest.h"

namespace synth::stratum {
namespace {

TEST(PoolUrlTest, ParsesTcpAndSsl) {
  absl::StatusOr<PoolUrl> u = ParsePoolUrl("stratum+tcp://127.0.0.1:3333");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 3333);
  EXPECT_FALSE(u->tls);
  u = ParsePoolUrl("stratum+ssl://Pool.Example.com:443");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "pool.example.com");
  EXPECT_EQ(u->ToString(), "stratum+ssl://pool.example.com:443");
}

TEST(PoolUrlTest, RejectsBadUrls) {
  for (const char* bad : {"http://x:1", "stratum+tcp://x", "stratum+tcp://:1", "stratum+tcp://x:0",
                          "stratum+tcp://x:99999", "stratum+tcp://x:12a", "stratum+tcp://u@x:1"}) {
    EXPECT_FALSE(ParsePoolUrl(bad).ok()) << bad;
  }
}

TEST(PoolUrlTest, SameDomainRule) {
  EXPECT_TRUE(SameDomain("eu.pool.example.com", "pool.example.com"));
  EXPECT_TRUE(SameDomain("POOL.example.com", "pool.example.com"));
  EXPECT_FALSE(SameDomain("pool.example.com.evil.net", "pool.example.com"));
  EXPECT_FALSE(SameDomain("evil.net", "pool.example.com"));
  EXPECT_TRUE(SameDomain("127.0.0.1", "127.0.0.1"));
  EXPECT_FALSE(SameDomain("127.0.0.2", "127.0.0.1"));
}

}  // namespace
}  // namespace synth::stratum
