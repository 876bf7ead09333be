#include "master/pool/authority_key_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace synth::pool {
namespace {

class AuthorityKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("synth-key-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "authority.key").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(AuthorityKeyFileTest, CreatedPrivateThenReloaded) {
  bool created = false;
  absl::StatusOr<sv2::SecretKey> first = LoadOrCreateAuthorityKey(path_, &created);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(created);
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 65);  // 64 hex digits and a newline
  absl::StatusOr<sv2::SecretKey> again = LoadOrCreateAuthorityKey(path_, &created);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(created);
  EXPECT_EQ(again->bytes(), first->bytes());
}

TEST_F(AuthorityKeyFileTest, BadFilesAreNamedNotGuessed) {
  bool created = false;
  std::ofstream(path_) << "not a key\n";
  absl::Status s = LoadOrCreateAuthorityKey(path_, &created).status();
  EXPECT_TRUE(absl::IsFailedPrecondition(s));
  EXPECT_NE(s.message().find(path_), std::string::npos);
  EXPECT_NE(s.message().find("64 hex digits"), std::string::npos);
  std::ofstream(path_, std::ios::trunc) << std::string(64, '0') << "\n";  // zero: invalid key
  s = LoadOrCreateAuthorityKey(path_, &created).status();
  EXPECT_NE(s.message().find("not a valid secp256k1"), std::string::npos) << s;
  EXPECT_FALSE(created);
  s = LoadOrCreateAuthorityKey((dir_ / "missing-dir" / "k").string(), &created).status();
  EXPECT_NE(s.message().find("cannot create"), std::string::npos) << s;
}

}  // namespace
}  // namespace synth::pool
