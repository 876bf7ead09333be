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
  EXPECT_TRUE(CheckAuth(md, "ipv4:127.0.0.1:1", false, AuthPolicy{.token = ""}).ok());
  EXPECT_EQ(CheckAuth(md, "ipv4:10.1.1.1:1", false, AuthPolicy{.token = ""}).code(),
            absl::StatusCode::kUnauthenticated);
}

TEST(AuthTest, BearerToken) {
  Metadata md;
  EXPECT_EQ(CheckAuth(md, "ipv4:127.0.0.1:1", false, AuthPolicy{.token = "s3cret"}).code(),
            absl::StatusCode::kUnauthenticated);
  md.emplace("authorization", "Bearer s3cret");
  EXPECT_TRUE(CheckAuth(md, "ipv4:10.1.1.1:1", false, AuthPolicy{.token = "s3cret"}).ok());
  Metadata wrong;
  wrong.emplace("authorization", "Bearer s3creX");
  absl::Status s = CheckAuth(wrong, "ipv4:127.0.0.1:1", false, AuthPolicy{.token = "s3cret"});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message().find("s3cret"), std::string_view::npos);  // No secret in errors.
  Metadata basic;
  basic.emplace("authorization", "Basic s3cret");
  EXPECT_FALSE(CheckAuth(basic, "ipv4:127.0.0.1:1", false, AuthPolicy{.token = "s3cret"}).ok());
}

TEST(AuthTest, MtlsRequiresAVerifiedCertificate) {
  Metadata md;
  AuthPolicy mtls{.mtls = true};
  EXPECT_TRUE(CheckAuth(md, "ipv4:10.1.1.1:1", true, mtls).ok());
  EXPECT_EQ(CheckAuth(md, "ipv4:127.0.0.1:1", false, mtls).code(),
            absl::StatusCode::kUnauthenticated);
  AuthPolicy both{.token = "s3cret", .mtls = true};
  EXPECT_FALSE(CheckAuth(md, "ipv4:10.1.1.1:1", true, both).ok());  // Token still required.
}

TEST(AuthTest, InsecureAcceptsAnyPeer) {
  Metadata md;
  EXPECT_TRUE(CheckAuth(md, "ipv4:10.1.1.1:1", false, AuthPolicy{.insecure = true}).ok());
}

TEST(AuthTest, ListenPolicy) {
  EXPECT_TRUE(IsLoopbackListenAddress("127.0.0.1:4650"));
  EXPECT_TRUE(IsLoopbackListenAddress("localhost:4650"));
  EXPECT_TRUE(IsLoopbackListenAddress("[::1]:4650"));
  EXPECT_FALSE(IsLoopbackListenAddress("0.0.0.0:4650"));
  EXPECT_FALSE(IsLoopbackListenAddress("[::]:4650"));
  EXPECT_FALSE(IsLoopbackListenAddress("127.example.com:4650"));
  EXPECT_TRUE(CheckListenPolicy("127.0.0.1:0", AuthPolicy{}).ok());
  absl::Status refused = CheckListenPolicy("0.0.0.0:4650", AuthPolicy{});
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("--insecure"), std::string_view::npos);
  EXPECT_TRUE(CheckListenPolicy("0.0.0.0:4650", AuthPolicy{.insecure = true}).ok());
  EXPECT_TRUE(CheckListenPolicy("0.0.0.0:4650", AuthPolicy{.token = "t"}).ok());
  EXPECT_TRUE(CheckListenPolicy("0.0.0.0:4650", AuthPolicy{.mtls = true}).ok());
}

}  // namespace
}  // namespace synth::service
