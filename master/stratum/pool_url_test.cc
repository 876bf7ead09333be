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

TEST(PoolUrlTest, ParsesStratumV2WithAuthorityKey) {
  constexpr char kKey[] = "9bXiEd8boQVhq7WddEcERUL5tyyJVFYdU8th3HfbNXK3Yw6GRXh";
  absl::StatusOr<PoolUrl> u =
      ParsePoolUrl(std::string("stratum2+tcp://Pool.Example:34254/") + kKey);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_TRUE(u->sv2);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "pool.example");
  EXPECT_EQ(u->port, 34254);
  EXPECT_EQ(u->authority_key[0], 118);  // The specification's test key.
  EXPECT_EQ(u->ToString(), std::string("stratum2+tcp://pool.example:34254/") + kKey);
  u = ParsePoolUrl(std::string("stratum2+tcp://[::1]:3336/") + kKey);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->host, "::1");
  // The key is required, and checked.
  absl::Status missing = ParsePoolUrl("stratum2+tcp://pool.example:3336").status();
  EXPECT_NE(missing.message().find("authority key"), std::string::npos) << missing;
  EXPECT_FALSE(ParsePoolUrl("stratum2+tcp://pool.example:3336/").ok());
  std::string typo = std::string("stratum2+tcp://pool.example:3336/") + kKey;
  typo.back() = 'x';
  EXPECT_NE(ParsePoolUrl(typo).status().message().find("checksum"), std::string::npos);
  EXPECT_FALSE(ParsePoolUrl(std::string("stratum2+tcp://pool.example/") + kKey).ok());
  // A V1 URL does not take a path.
  EXPECT_FALSE(ParsePoolUrl(std::string("stratum+tcp://pool.example:3333/") + kKey).ok());
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
