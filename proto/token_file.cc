#include "proto/token_file.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file.h"

namespace synth::proto {
namespace {

// Tokens travel in an HTTP/2 header value after "Bearer ": printable ASCII, no spaces.
bool ValidToken(absl::string_view t) {
  for (char c : t) {
    if (c <= ' ' || c > '~') return false;
  }
  return !t.empty();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ParseTokens(absl::string_view text,
                                                     absl::string_view path) {
  std::vector<std::string> tokens;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || absl::StartsWith(line, "#")) continue;
    if (!ValidToken(line)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token file '", path, "' line ", line_no, ": a token is printable ASCII without spaces"));
    }
    tokens.emplace_back(line);
  }
  if (tokens.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("token file '", path, "' holds no token"));
  }
  return tokens;
}

absl::StatusOr<std::vector<std::string>> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, "token file");
  if (!text.ok()) return text.status();
  return ParseTokens(*text, path);
}

TokenSource::TokenSource(std::string token) : token_(std::move(token)) {}

TokenSource::TokenSource(std::string path, std::string first_token)
    : path_(std::move(path)), token_(std::move(first_token)) {}

absl::StatusOr<std::shared_ptr<TokenSource>> TokenSource::FromFile(std::string path) {
  absl::StatusOr<std::vector<std::string>> tokens = ReadTokenFile(path);
  if (!tokens.ok()) return tokens.status();
  return std::shared_ptr<TokenSource>(new TokenSource(std::move(path), (*tokens)[0]));
}

std::string TokenSource::Token() const {
  absl::StatusOr<std::vector<std::string>> tokens;
  if (from_file()) tokens = ReadTokenFile(path_);
  absl::MutexLock lock(&mu_);
  if (from_file()) {
    last_error_ = tokens.status();
    if (tokens.ok()) token_ = (*tokens)[0];
  }
  return token_;
}

absl::Status TokenSource::last_error() const {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

}  // namespace synth::proto
