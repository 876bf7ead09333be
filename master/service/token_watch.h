// File: master/service/token_watch.h
//
// Token rotation on the master (docs/SECURITY.md "Token rotation"): keeps a TokenSet equal to
// the tokens of a token file (proto/token_file.h: one per line, every one accepted). The file
// is read at start, again on Reload() (synth-master calls it on SIGHUP), and whenever it or its
// directory changes (inotify on the directory, so editors that write a new file and rename it,
// and Kubernetes' symlink swap of a mounted Secret, are seen too).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<TokenWatch> watch, TokenWatch::Start(path));
//   policy.tokens = watch->tokens();
//   ... on SIGHUP: watch->Reload("SIGHUP");
//
// A file that cannot be read or lists no token leaves the accepted tokens as they were (logged
// as a warning), so a half-written file never locks every worker out. Each change is logged
// with counts only ("2 tokens accepted: 1 added, 0 removed"), never a token.
//
// Thread-safety: all methods are thread-safe; the watch thread ends in Stop() or the destructor.
#ifndef SYNTH_MASTER_SERVICE_TOKEN_WATCH_H_
#define SYNTH_MASTER_SERVICE_TOKEN_WATCH_H_

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "master/service/auth.h"

namespace synth::service {

// What one reload did.
struct TokenReload {
  bool changed = false;  // The accepted tokens changed.
  size_t tokens = 0;     // Tokens accepted after it.
  size_t added = 0, removed = 0;
};

class TokenWatch {
 public:
  // Reads `path` and starts watching it. The file's error when it cannot be read or holds no
  // token (the master must not start without one).
  static absl::StatusOr<std::unique_ptr<TokenWatch>> Start(std::string path);
  ~TokenWatch();
  TokenWatch(const TokenWatch&) = delete;
  TokenWatch& operator=(const TokenWatch&) = delete;

  // The accepted tokens (for AuthPolicy::tokens); valid after Stop().
  std::shared_ptr<const TokenSet> tokens() const { return tokens_; }
  // Re-reads the file now (`why` goes into the log line). The file's error leaves the tokens
  // unchanged.
  absl::StatusOr<TokenReload> Reload(absl::string_view why);
  // Reloads done since start that changed the tokens.
  int rotations() const;
  // Ends the watch thread (reloads by Reload() still work). Idempotent.
  void Stop();

 private:
  TokenWatch(std::string path, std::vector<std::string> tokens);
  // Watches the file's directory and reloads on changes until Stop(). Runs on thread_.
  void WatchLoop(int inotify_fd, int stop_fd);

  const std::string path_;
  const std::shared_ptr<TokenSet> tokens_;
  mutable absl::Mutex mu_;  // Serializes reloads.
  std::vector<std::string> current_ ABSL_GUARDED_BY(mu_);
  int rotations_ ABSL_GUARDED_BY(mu_) = 0;
  int stop_fd_ = -1;  // eventfd that wakes the watch thread to stop.
  std::thread thread_;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_TOKEN_WATCH_H_
