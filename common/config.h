// File: common/config.h
//
// One configuration layer for every synth binary: absl flags set from a config file, from
// SYNTH_<FLAG> environment variables and from the command line, plus secret flags read from
// files (so container and Kubernetes secrets can stay files). docs/DEPLOY.md documents it.
//
//   int main(int argc, char** argv) {
//     synth::DashesToUnderscores(argc, argv);
//     std::vector<char*> positional = synth::ParseCommandLineWithConfig(argc, argv);
//
// Precedence, highest first: command line > environment > config file > flag default.
//
//   --config FILE (or SYNTH_CONFIG=FILE)   "key = value" lines; keys are flag names (dashes or
//                                          underscores); '#' starts a comment line; a value
//                                          may be double-quoted; a repeated key appends to a
//                                          list flag (--pool; --schedule, whose items are
//                                          joined with ';') and is an error otherwise;
//                                          "[synth-worker]" starts lines only that program
//                                          reads, so one file can serve a whole farm.
//   SYNTH_<FLAG>=VALUE                     e.g. SYNTH_MASTER, SYNTH_POOL, SYNTH_HTTP_LISTEN.
//                                          Other SYNTH_* variables are ignored.
//   --token-file F, --pass-file F, --password-file F  (SYNTH_TOKEN_FILE, ..., token_file = F):
//                                          the secret flag's value is the file's contents,
//                                          surrounding whitespace trimmed; offered for each of
//                                          token, pass, password that the program defines
//                                          (unless it defines a flag of that name itself:
//                                          synth-master, synth-worker and synthctl have their
//                                          own --token-file, a rotatable token file,
//                                          proto/token_file.h).
//                                          Giving a secret and its file at the same level (say
//                                          both on the command line) is an error; otherwise
//                                          the higher level wins.
//
// Unknown keys, bad values, an unreadable file or an unknown section are errors that name the
// file and line (or the variable); secret values never appear in them.
//
// Thread-compatible: call once, from main(), before any other thread runs.
#ifndef SYNTH_COMMON_CONFIG_H_
#define SYNTH_COMMON_CONFIG_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace synth {

// Looks up an environment variable; returns nullptr when it is unset (std::getenv's contract).
using EnvLookup = std::function<const char*(const char*)>;

// One "key = value" line of a config file that applies to the program reading it.
struct ConfigEntry {
  std::string key;    // Flag name, dashes turned into underscores.
  std::string value;  // Quotes removed.
  int line = 0;       // 1-based line number in the file.
};

// Parses config file text for `program` (the basename of argv[0], e.g. "synth-worker"): keeps
// the lines before any section and those in the program's own section. `file` names the file
// in errors.
absl::StatusOr<std::vector<ConfigEntry>> ParseConfigText(absl::string_view text,
                                                         absl::string_view file,
                                                         absl::string_view program);

// Sets absl flags from the config file, the environment (`env`) and `argv` (after
// absl::ParseCommandLine, which it calls), reads secret files, and returns the positional
// arguments (argv[0] first), as absl::ParseCommandLine does.
absl::StatusOr<std::vector<char*>> ParseFlagsWithConfig(int argc, char** argv,
                                                        const EnvLookup& env);

// ParseFlagsWithConfig with the process environment; on error prints "PROGRAM: error" to
// stderr and exits with status 2.
std::vector<char*> ParseCommandLineWithConfig(int argc, char** argv);

// Returns a secret read from a file, surrounding whitespace trimmed (what --token-file and the
// like do; for a program's own secret-file flags). NOT_FOUND when unreadable, INVALID_ARGUMENT
// when empty or over 1 MiB; errors name `what` and the path, never the contents.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path, absl::string_view what);

}  // namespace synth

#endif  // SYNTH_COMMON_CONFIG_H_
