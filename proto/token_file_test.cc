#include "proto/token_file.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace synth::proto {
namespace {

TEST(TokenFileTest, OneTokenPerLineCommentsAndBlanksIgnored) {
  absl::StatusOr<std::vector<std::string>> t =
      ParseTokens("# rotation 2026-12\n\n  new-token \r\nold-token\n", "f");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(*t, (std::vector<std::string>{"new-token", "old-token"}));
}

TEST(TokenFileTest, BadFilesNameTheLineButNeverTheToken) {
  absl::StatusOr<std::vector<std::string>> t = ParseTokens("good\nsecret with spaces\n", "f");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(t.status().message(), "line 2")) << t.status();
  EXPECT_FALSE(absl::StrContains(t.status().message(), "secret")) << t.status();
  EXPECT_FALSE(ParseTokens("tab\there", "f").ok());
  EXPECT_FALSE(ParseTokens("caf\xc3\xa9", "f").ok());
  EXPECT_EQ(ParseTokens("# only comments\n\n", "f").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadTokenFile("/nonexistent/token").status().code(), absl::StatusCode::kNotFound);
}

TEST(TokenFileTest, FileSourceFollowsTheFileAndKeepsTheLastGoodToken) {
  std::string path = absl::StrCat(::testing::TempDir(), "/token_source_", getpid());
  std::ofstream(path) << "first\nsecond\n";
  absl::StatusOr<std::shared_ptr<TokenSource>> src = TokenSource::FromFile(path);
  ASSERT_TRUE(src.ok()) << src.status();
  EXPECT_TRUE((*src)->from_file());
  EXPECT_EQ((*src)->Token(), "first");
  std::ofstream(path, std::ios::trunc) << "rotated\n";
  EXPECT_EQ((*src)->Token(), "rotated");
  EXPECT_TRUE((*src)->last_error().ok());
  std::ofstream(path, std::ios::trunc) << "";
  EXPECT_EQ((*src)->Token(), "rotated");
  EXPECT_FALSE((*src)->last_error().ok());
  std::remove(path.c_str());
  EXPECT_EQ((*src)->Token(), "rotated");
  EXPECT_EQ((*src)->last_error().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(TokenSource::FromFile(path).status().code(), absl::StatusCode::kNotFound);
  TokenSource fixed("t");
  EXPECT_EQ(fixed.Token(), "t");
  EXPECT_FALSE(fixed.from_file());
}

}  // namespace
}  // namespace synth::proto
