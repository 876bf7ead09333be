#include "master/service/auth.h"

#include "gtest/gtest.h"

namespace synth::service {
namespace {

using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

TEST(AuthTest, LoopbackPeers) {
  EXPECT_TRUE(IsLoopbackPeer("ipv4:127.0.0.1:5000"));
  EXPECT_TRUE(IsLoopbackPeer("ipv6:[::1]:5000"));
  EXPECT_TRUE(IsLoopbackPeer("unix:/tmp/s"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:10.0.0.2:5000"));
  EXPECT_FALSE(IsLoopbackPeer("ipv4:1270.0.0.1:5000"));
}

TEST(AuthTest, EmptyTokenOnlyOnLoopback) {
  Metadata md;
  EXPECT_TRUE(CheckAuth(md, "ipv4:127.0.0.1:1", "").ok());
  EXPECT_EQ(CheckAuth(md, "ipv4:10.1.1.1:1", "").code(), absl::StatusCode::kUnauthenticated);
}

TEST(AuthTest, BearerToken) {
  Metadata md;
  EXPECT_EQ(CheckAuth(md, "ipv4:127.0.0.1:1", "s3cret").code(), absl::StatusCode::kUnauthenticated);
  md.emplace("authorization", "Bearer s3cret");
  EXPECT_TRUE(CheckAuth(md, "ipv4:10.1.1.1:1", "s3cret").ok());
  Metadata wrong;
  wrong.emplace("authorization", "Bearer s3creX");
  absl::Status s = CheckAuth(wrong, "ipv4:127.0.0.1:1", "s3cret");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message().find("s3cret"), std::string_view::npos);  // No secret in errors.
  Metadata basic;
  basic.emplace("authorization", "Basic s3cret");
  EXPECT_FALSE(CheckAuth(basic, "ipv4:127.0.0.1:1", "s3cret").ok());
}

}  // namespace
}  // namespace synth::service
