// File: proto/token_file.h
//
// Bearer tokens from files, for rotation without restarts (docs/SECURITY.md "Token rotation").
// A token file holds one token per line; blank lines and lines starting with '#' are ignored,
// surrounding whitespace is trimmed, and a token is printable ASCII without spaces. The master
// accepts every token of its file; a client (synth-worker, synthctl) sends the first token of
// its own.
//
//   ASSIGN_OR_RETURN(std::vector<std::string> tokens, ReadTokenFile("/run/secrets/token"));
//   ASSIGN_OR_RETURN(std::shared_ptr<TokenSource> src, TokenSource::FromFile(path));
//   std::string t = src->Token();   // re-reads the file; the last good token if it cannot
//
// Errors name the file and line, never a token. Thread-safe.
#ifndef SYNTH_PROTO_TOKEN_FILE_H_
#define SYNTH_PROTO_TOKEN_FILE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace synth::proto {

// Returns the tokens of a token file's `text` in order (`path` names it in errors).
// INVALID_ARGUMENT for a line that is not a valid token, or when there is none.
absl::StatusOr<std::vector<std::string>> ParseTokens(absl::string_view text,
                                                     absl::string_view path);

// Reads and parses the token file at `path` (NOT_FOUND when it cannot be read).
absl::StatusOr<std::vector<std::string>> ReadTokenFile(const std::string& path);

// Where a client's bearer token comes from, asked at each call or stream start: a fixed value,
// or the first token of a file, read again at each ask so that a rotated file is picked up at
// the next (re)connect.
class TokenSource {
 public:
  // A fixed token ("" sends none).
  explicit TokenSource(std::string token);
  // The first token of `path`, read now: an error if it cannot be read or holds no token.
  static absl::StatusOr<std::shared_ptr<TokenSource>> FromFile(std::string path);

  // Returns the token to send now. A file that has become unreadable or empty keeps the last
  // token read (last_error() says why until a read succeeds again).
  std::string Token() const;
  absl::Status last_error() const;
  bool from_file() const { return !path_.empty(); }

 private:
  TokenSource(std::string path, std::string first_token);

  const std::string path_;  // "" for a fixed token.
  mutable absl::Mutex mu_;
  mutable std::string token_ ABSL_GUARDED_BY(mu_);
  mutable absl::Status last_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::proto

#endif  // SYNTH_PROTO_TOKEN_FILE_H_
