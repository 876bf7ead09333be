#include "common/config.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file.h"
#include "common/flags.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, config, "",
          "Config file of 'flag = value' lines (env SYNTH_CONFIG); every flag also reads "
          "SYNTH_<FLAG>, and --token-file/--pass-file/--password-file read secrets from files "
          "(docs/DEPLOY.md)");

namespace synth {
namespace {

// Where a value came from; a higher level overrides a lower one.
enum Level { kDefault = 0, kFile = 1, kEnv = 2, kCommandLine = 3 };

constexpr const char* kLevelNames[] = {"default", "config file", "environment", "command line"};
constexpr const char* kSecretFlags[] = {"token", "pass", "password"};
constexpr const char* kPrograms[] = {"synth-master", "synth-worker", "synth-pool", "synthctl"};
// String flags whose value is a ';'-separated list of items that contain commas themselves
// (--schedule windows carry weights=70,30): a repeated key appends an item.
constexpr const char* kSemicolonLists[] = {"schedule"};
constexpr size_t kMaxFileBytes = 1 << 20;

bool IsSecret(absl::string_view name) {
  for (const char* s : kSecretFlags) {
    if (name == s) return true;
  }
  return false;
}

// absl's own flags (--flagfile, --help, ...) are not configuration.
bool IsConfigurable(const absl::CommandLineFlag& flag) {
  return !flag.IsRetired() && !absl::StrContains(flag.Filename(), "absl/flags") &&
         flag.Name() != "config";
}

std::string EnvName(absl::string_view flag) {
  return absl::StrCat("SYNTH_", absl::AsciiStrToUpper(flag));
}

// The file behind a secret flag (--token-file ...) and the level it was given at.
struct SecretFile {
  std::string path;
  Level level = kDefault;
};

// Everything gathered before absl parses the command line.
struct Sources {
  std::string config_path;
  Level config_level = kDefault;
  std::map<std::string, Level> flag_level;     // Flags set from the file or the environment.
  absl::flat_hash_set<std::string> cli_flags;  // Flag names seen on the command line.
  std::map<std::string, SecretFile> secret_files;
  std::vector<char*> args;  // argv without --config and the secret-file arguments.
};

// True when `name` is "<secret>_file" for a secret flag this program has, and no flag of that
// name exists (a program may define its own).
bool IsSecretFileKey(absl::string_view name, std::string* secret) {
  absl::string_view base = name;
  if (!absl::ConsumeSuffix(&base, "_file") || !IsSecret(base)) return false;
  if (absl::FindCommandLineFlag(base) == nullptr) return false;
  if (absl::FindCommandLineFlag(name) != nullptr) return false;
  *secret = std::string(base);
  return true;
}

// Splits "--name[=value]" (dashes already underscores); false for anything else.
bool SplitArg(absl::string_view arg, absl::string_view* name, absl::string_view* value,
              bool* has_value) {
  if (!absl::ConsumePrefix(&arg, "--") || arg.empty()) return false;
  size_t eq = arg.find('=');
  *has_value = eq != absl::string_view::npos;
  *name = arg.substr(0, eq);
  *value = *has_value ? arg.substr(eq + 1) : absl::string_view();
  return true;
}

// Takes --config and the secret-file arguments out of argv; records every flag name seen.
absl::Status ScanCommandLine(int argc, char** argv, Sources* s) {
  s->args.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i], name, value;
    bool has_value = false;
    if (arg == "--") {
      for (; i < argc; ++i) s->args.push_back(argv[i]);
      break;
    }
    std::string secret;
    bool ours = SplitArg(arg, &name, &value, &has_value) &&
                (name == "config" || IsSecretFileKey(name, &secret));
    if (!ours) {
      if (SplitArg(arg, &name, &value, &has_value)) s->cli_flags.insert(std::string(name));
      s->args.push_back(argv[i]);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= argc)
        return absl::InvalidArgumentError(absl::StrCat("--", name, " needs a value"));
      value = argv[++i];
    }
    if (name == "config") {
      s->config_path = std::string(value);
      s->config_level = kCommandLine;
    } else if (!value.empty()) {
      s->secret_files[secret] = {std::string(value), kCommandLine};
    }
  }
  return absl::OkStatus();
}

absl::Status SetFlag(absl::CommandLineFlag& flag, const std::string& value,
                     absl::string_view where) {
  std::string error;
  if (flag.ParseFrom(value, &error)) return absl::OkStatus();
  std::string shown = IsSecret(flag.Name()) ? "(secret)" : absl::StrCat("'", value, "'");
  // absl's generic "Illegal value 'V' specified for flag 'F'" repeats what we say (and the
  // value); anything more specific is kept.
  std::string detail = absl::StartsWith(error, "Illegal value") ? "" : absl::StrCat(": ", error);
  return absl::InvalidArgumentError(
      absl::StrCat(where, ": bad value ", shown, " for --", flag.Name(), detail));
}

absl::Status ApplyEntries(const std::vector<ConfigEntry>& entries, Sources* s) {
  std::map<std::string, std::vector<const ConfigEntry*>> by_key;
  for (const ConfigEntry& e : entries) by_key[e.key].push_back(&e);
  for (const auto& [key, list] : by_key) {
    std::string where = absl::StrCat(s->config_path, ":", list[0]->line);
    std::string secret;
    if (key == "config") {
      return absl::InvalidArgumentError(absl::StrCat(where, ": a config file cannot name another"));
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(key);
    bool is_list = flag != nullptr && flag->IsOfType<std::vector<std::string>>();
    bool is_semicolon_list = false;
    for (const char* name : kSemicolonLists) {
      is_semicolon_list |= flag != nullptr && key == name && flag->IsOfType<std::string>();
    }
    is_list |= is_semicolon_list;
    if (list.size() > 1 && !is_list) {
      return absl::InvalidArgumentError(absl::StrCat(s->config_path, ":", list[1]->line, ": '", key,
                                                     "' given twice (first on line ", list[0]->line,
                                                     ")"));
    }
    if (IsSecretFileKey(key, &secret)) {
      s->secret_files[secret] = {list[0]->value, kFile};
      continue;
    }
    if (flag == nullptr || !IsConfigurable(*flag)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": unknown key '", key, "'"));
    }
    std::vector<std::string> values;
    for (const ConfigEntry* e : list) values.push_back(e->value);
    RETURN_IF_ERROR(SetFlag(*flag, absl::StrJoin(values, is_semicolon_list ? "; " : ","), where));
    s->flag_level[key] = kFile;
  }
  return absl::OkStatus();
}

absl::Status ApplyConfigFile(absl::string_view program, Sources* s) {
  if (s->config_path.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(s->config_path, "config file"));
  ASSIGN_OR_RETURN(std::vector<ConfigEntry> entries,
                   ParseConfigText(text, s->config_path, program));
  return ApplyEntries(entries, s);
}

absl::Status ApplyEnvironment(const EnvLookup& env, Sources* s) {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    if (!IsConfigurable(*flag)) continue;
    std::string var = EnvName(name);
    const char* value = env(var.c_str());
    if (value == nullptr) continue;
    RETURN_IF_ERROR(SetFlag(*flag, value, var));
    s->flag_level[std::string(name)] = kEnv;
  }
  for (const char* secret : kSecretFlags) {
    std::string key = absl::StrCat(secret, "_file"), unused;
    const char* value = env(EnvName(key).c_str());
    if (value == nullptr || *value == '\0' || !IsSecretFileKey(key, &unused)) continue;
    SecretFile& f = s->secret_files[secret];
    if (f.level < kEnv) f = {value, kEnv};
  }
  return absl::OkStatus();
}

absl::Status ApplySecretFiles(const Sources& s) {
  for (const auto& [secret, file] : s.secret_files) {
    Level value_level = s.cli_flags.contains(secret) ? kCommandLine : kDefault;
    if (value_level == kDefault) {
      auto it = s.flag_level.find(secret);
      if (it != s.flag_level.end()) value_level = it->second;
    }
    if (value_level == file.level) {
      return absl::InvalidArgumentError(absl::StrCat("--", secret, " and --", secret,
                                                     "-file both given (", kLevelNames[file.level],
                                                     "): give one"));
    }
    if (value_level > file.level) continue;
    std::string what = absl::StrCat(secret, " file");
    ASSIGN_OR_RETURN(std::string value, ReadSecretFile(file.path, what));
    RETURN_IF_ERROR(SetFlag(*absl::FindCommandLineFlag(secret), value, what));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, absl::string_view what) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, what));
  std::string value(absl::StripAsciiWhitespace(text));
  if (value.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " '", path, "' is empty"));
  return value;
}

namespace {

absl::string_view Basename(const char* argv0) {
  absl::string_view p = argv0 != nullptr ? argv0 : "";
  size_t slash = p.rfind('/');
  return slash == absl::string_view::npos ? p : p.substr(slash + 1);
}

// Parses one non-comment line into `entry`; false when it is a section header `[name]`.
absl::StatusOr<bool> ParseLine(absl::string_view line, absl::string_view where, ConfigEntry* entry,
                               std::string* section) {
  if (absl::ConsumePrefix(&line, "[")) {
    if (!absl::ConsumeSuffix(&line, "]")) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected '[program]'"));
    }
    *section = std::string(absl::StripAsciiWhitespace(line));
    for (const char* p : kPrograms) {
      if (*section == p) return false;
    }
    return absl::InvalidArgumentError(absl::StrCat(
        where, ": unknown section [", *section, "] (known: ", absl::StrJoin(kPrograms, ", "), ")"));
  }
  size_t eq = line.find('=');
  if (eq == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": expected 'key = value'"));
  }
  std::string key(absl::StripAsciiWhitespace(line.substr(0, eq)));
  absl::StrReplaceAll({{"-", "_"}}, &key);
  if (key.empty() ||
      key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": bad key '", key, "'"));
  }
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(eq + 1));
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  entry->key = std::move(key);
  entry->value = std::string(value);
  return true;
}

}  // namespace

absl::StatusOr<std::vector<ConfigEntry>> ParseConfigText(absl::string_view text,
                                                         absl::string_view file,
                                                         absl::string_view program) {
  std::vector<ConfigEntry> out;
  std::string section;
  int number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    ConfigEntry entry;
    entry.line = number;
    ASSIGN_OR_RETURN(bool is_entry,
                     ParseLine(line, absl::StrCat(file, ":", number), &entry, &section));
    if (is_entry && (section.empty() || section == program)) out.push_back(std::move(entry));
  }
  return out;
}

absl::StatusOr<std::vector<char*>> ParseFlagsWithConfig(int argc, char** argv,
                                                        const EnvLookup& env) {
  DashesToUnderscores(argc, argv);
  Sources s;
  RETURN_IF_ERROR(ScanCommandLine(argc, argv, &s));
  if (s.config_level == kDefault) {
    const char* path = env("SYNTH_CONFIG");
    if (path != nullptr && *path != '\0') s.config_path = path;
  }
  RETURN_IF_ERROR(ApplyConfigFile(Basename(argv[0]), &s));
  RETURN_IF_ERROR(ApplyEnvironment(env, &s));
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(s.args.size()), s.args.data());
  if (!s.config_path.empty()) absl::SetFlag(&FLAGS_config, s.config_path);
  RETURN_IF_ERROR(ApplySecretFiles(s));
  return positional;
}

std::vector<char*> ParseCommandLineWithConfig(int argc, char** argv) {
  absl::StatusOr<std::vector<char*>> positional =
      ParseFlagsWithConfig(argc, argv, [](const char* name) { return std::getenv(name); });
  if (!positional.ok()) {
    std::fprintf(stderr, "%s: %s\n", std::string(Basename(argv[0])).c_str(),
                 std::string(positional.status().message()).c_str());
    std::exit(2);
  }
  return *std::move(positional);
}

}  // namespace synth
