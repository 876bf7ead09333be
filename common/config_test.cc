#include "common/config.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "gtest/gtest.h"

// Flags as a program would define them; "token" and "pass" are secrets, so --token-file and
// --pass-file exist; "password" is not defined here, so --password-file does not.
ABSL_FLAG(std::string, token, "", "test secret");
ABSL_FLAG(std::string, pass, "x", "test secret");
ABSL_FLAG(std::vector<std::string>, pool, {"stratum+tcp://127.0.0.1:3333"}, "test list");
ABSL_FLAG(int, threads, 0, "test int");
ABSL_FLAG(bool, json, false, "test bool");
ABSL_FLAG(std::string, master, "127.0.0.1:4650", "test string");
ABSL_FLAG(std::string, schedule, "", "test ';'-separated list");

namespace synth {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  // Runs ParseFlagsWithConfig as "synth-worker ARGS" with the fake environment env_.
  absl::StatusOr<std::vector<char*>> Parse(std::vector<std::string> args) {
    args_ = std::move(args);
    args_.insert(args_.begin(), "/usr/bin/synth-worker");
    argv_.clear();
    for (std::string& a : args_) argv_.push_back(a.data());
    return ParseFlagsWithConfig(static_cast<int>(argv_.size()), argv_.data(),
                                [this](const char* name) -> const char* {
                                  auto it = env_.find(name);
                                  return it == env_.end() ? nullptr : it->second.c_str();
                                });
  }

  // Returns the error message of Parse(args), or "" when it succeeds.
  std::string Error(std::vector<std::string> args) {
    return std::string(Parse(std::move(args)).status().message());
  }

  // Writes `text` to a file in the test's temp dir; returns its path.
  std::string File(const std::string& name, const std::string& text) {
    std::string path = ::testing::TempDir() + "/config_test_" + name;
    std::ofstream(path) << text;
    return path;
  }

  absl::FlagSaver saver_;
  std::map<std::string, std::string> env_;
  std::vector<std::string> args_;
  std::vector<char*> argv_;
};

TEST_F(ConfigTest, ParsesKeysValuesSectionsAndComments) {
  absl::StatusOr<std::vector<ConfigEntry>> entries = ParseConfigText(
      "# comment\n  threads = 3 \n\nhash-core=\"avx2\"\n[synth-master]\nlisten = 0.0.0.0:1\n"
      "[synth-worker]\nmaster = m:4650\n",
      "f.conf", "synth-worker");
  ASSERT_TRUE(entries.ok()) << entries.status();
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].key, "threads");
  EXPECT_EQ((*entries)[0].value, "3");
  EXPECT_EQ((*entries)[0].line, 2);
  EXPECT_EQ((*entries)[1].key, "hash_core");  // dashes become underscores, quotes go
  EXPECT_EQ((*entries)[1].value, "avx2");
  EXPECT_EQ((*entries)[2].key, "master");  // [synth-master]'s listen is skipped
  EXPECT_EQ((*entries)[2].line, 8);
}

TEST_F(ConfigTest, BadLinesNameFileAndLine) {
  EXPECT_EQ(ParseConfigText("a = 1\nno equals sign\n", "f.conf", "synth-pool").status().message(),
            "f.conf:2: expected 'key = value'");
  EXPECT_EQ(ParseConfigText("[synth-miner]\n", "f.conf", "synth-pool").status().message(),
            "f.conf:1: unknown section [synth-miner] (known: synth-master, synth-worker, "
            "synth-pool, synthctl)");
  EXPECT_EQ(ParseConfigText("bad key! = 1\n", "f.conf", "synth-pool").status().message(),
            "f.conf:1: bad key 'bad key!'");
}

TEST_F(ConfigTest, PrecedenceCommandLineOverEnvOverFileOverDefault) {
  std::string conf = File("prec.conf", "threads = 1\nmaster = file:1\njson = true\n");
  env_["SYNTH_MASTER"] = "env:2";
  env_["SYNTH_THREADS"] = "2";
  ASSERT_TRUE(Parse({"--config", conf, "--threads=3"}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_threads), 3);       // command line
  EXPECT_EQ(absl::GetFlag(FLAGS_master), "env:2");  // environment
  EXPECT_TRUE(absl::GetFlag(FLAGS_json));           // config file
  EXPECT_EQ(absl::GetFlag(FLAGS_pass), "x");        // default
}

TEST_F(ConfigTest, ConfigFromEnvironmentAndRepeatedListKeys) {
  env_["SYNTH_CONFIG"] = File("list.conf", "pool = stratum+tcp://a:1\npool = stratum+tcp://b:2\n");
  absl::StatusOr<std::vector<char*>> positional = Parse({"replay", "job.json"});
  ASSERT_TRUE(positional.ok()) << positional.status();
  EXPECT_EQ(absl::GetFlag(FLAGS_pool),
            (std::vector<std::string>{"stratum+tcp://a:1", "stratum+tcp://b:2"}));
  ASSERT_EQ(positional->size(), 3u);
  EXPECT_STREQ((*positional)[1], "replay");
}

TEST_F(ConfigTest, RepeatedScheduleKeysAreJoinedWithSemicolons) {
  std::string conf = File("schedule.conf",
                          "schedule = Mon-Fri 08:00-20:00 weights=0,100\n"
                          "schedule = \"Sat,Sun 00:00-24:00 weights=0,0\"\n");
  ASSERT_TRUE(Parse({"--config", conf}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_schedule),
            "Mon-Fri 08:00-20:00 weights=0,100; Sat,Sun 00:00-24:00 weights=0,0");
  // Other string keys given twice stay an error.
  conf = File("twice.conf", "master = a:1\nmaster = b:2\n");
  EXPECT_NE(Error({"--config", conf}).find("'master' given twice"), std::string::npos);
}

TEST_F(ConfigTest, FileErrorsNameFileAndLine) {
  std::string conf = File("unknown.conf", "threads = 2\n\nnope = 1\n");
  EXPECT_EQ(Error({"--config=" + conf}), conf + ":3: unknown key 'nope'");
  conf = File("badvalue.conf", "# x\nthreads = many\n");
  EXPECT_EQ(Error({"--config", conf}), conf + ":2: bad value 'many' for --threads");
  conf = File("twice.conf", "threads = 1\nthreads = 2\n");
  EXPECT_EQ(Error({"--config", conf}), conf + ":2: 'threads' given twice (first on line 1)");
  conf = File("nested.conf", "config = other.conf\n");
  EXPECT_EQ(Error({"--config", conf}), conf + ":1: a config file cannot name another");
  absl::Status missing = Parse({"--config", "/nonexistent/synth.conf"}).status();
  EXPECT_EQ(std::string(missing.message()),
            "cannot read config file '/nonexistent/synth.conf': No such file or directory");
  // --password-file is offered only when the program has --password.
  conf = File("nosecret.conf", "password_file = /run/secrets/p\n");
  EXPECT_EQ(Error({"--config", conf}), conf + ":1: unknown key 'password_file'");
}

TEST_F(ConfigTest, BadEnvironmentValueNamesVariable) {
  env_["SYNTH_THREADS"] = "lots";
  EXPECT_EQ(Error({}), "SYNTH_THREADS: bad value 'lots' for --threads");
  env_.clear();
  env_["SYNTH_TMP"] = "/tmp/x";  // not a flag: ignored
  EXPECT_TRUE(Parse({}).ok());
}

TEST_F(ConfigTest, SecretFilesAreReadAndTrimmed) {
  std::string token = File("token", "  s3cret-token\n");
  std::string pass = File("pass", "poolpw\r\n");
  env_["SYNTH_PASS_FILE"] = pass;
  ASSERT_TRUE(Parse({"--token-file", token}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_token), "s3cret-token");
  EXPECT_EQ(absl::GetFlag(FLAGS_pass), "poolpw");
}

TEST_F(ConfigTest, SecretFileLevels) {
  std::string token = File("token2", "from-file\n");
  // The higher level wins: --token on the command line beats SYNTH_TOKEN_FILE ...
  env_["SYNTH_TOKEN_FILE"] = token;
  ASSERT_TRUE(Parse({"--token=cli"}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_token), "cli");
  // ... and --token-file beats SYNTH_TOKEN.
  env_.clear();
  env_["SYNTH_TOKEN"] = "env";
  ASSERT_TRUE(Parse({"--token_file=" + token}).ok());
  EXPECT_EQ(absl::GetFlag(FLAGS_token), "from-file");
  // Both at one level is an error that shows no secret.
  absl::Status both = Parse({"--token=hunter2", "--token-file", token}).status();
  EXPECT_EQ(std::string(both.message()),
            "--token and --token-file both given (command line): give one");
}

TEST_F(ConfigTest, SecretFileErrorsShowNoSecret) {
  EXPECT_EQ(Error({"--token-file", "/nonexistent/tok"}),
            "cannot read token file '/nonexistent/tok': No such file or directory");
  std::string empty = File("empty", "\n \n");
  EXPECT_EQ(Error({"--pass-file", empty}), "pass file '" + empty + "' is empty");
  EXPECT_EQ(Error({"--token-file"}), "--token_file needs a value");
}

}  // namespace
}  // namespace synth
