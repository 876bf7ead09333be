#include "master/service/token_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "common/logging.h"
#include "proto/token_file.h"

namespace synth::service {
namespace {

// Tokens in `a` that are not in `b`.
size_t Missing(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::count_if(a.begin(), a.end(), [&](const std::string& t) {
    return std::find(b.begin(), b.end(), t) == b.end();
  });
}

// The directory sees files renamed over ours (editors, Kubernetes' symlink swap); the file's
// own inode sees writes in place through any path (a file bind-mounted into a container).
constexpr uint32_t kDirEvents = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
                                IN_MOVED_FROM | IN_ATTRIB;
constexpr uint32_t kFileEvents = IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;

std::string Directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

TokenWatch::TokenWatch(std::string path, std::vector<std::string> tokens)
    : path_(std::move(path)),
      tokens_(std::make_shared<TokenSet>(tokens)),
      current_(std::move(tokens)) {}

absl::StatusOr<std::unique_ptr<TokenWatch>> TokenWatch::Start(std::string path) {
  absl::StatusOr<std::vector<std::string>> tokens = proto::ReadTokenFile(path);
  if (!tokens.ok()) return tokens.status();
  std::unique_ptr<TokenWatch> w(new TokenWatch(std::move(path), *std::move(tokens)));
  LOG(INFO) << "token file " << w->path_ << ": " << w->tokens_->size() << " token(s) accepted";
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  int wd = fd < 0 ? -1 : inotify_add_watch(fd, Directory(w->path_).c_str(), kDirEvents);
  if (wd >= 0) inotify_add_watch(fd, w->path_.c_str(), kFileEvents);
  w->stop_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wd < 0 || w->stop_fd_ < 0) {
    LOG(WARNING) << "token file " << w->path_ << ": cannot watch it (" << std::strerror(errno)
                 << "): it is re-read on SIGHUP only";
    if (fd >= 0) close(fd);
    return w;
  }
  w->thread_ = std::thread([w = w.get(), fd] { w->WatchLoop(fd, w->stop_fd_); });
  return w;
}

TokenWatch::~TokenWatch() {
  Stop();
  if (stop_fd_ >= 0) close(stop_fd_);
}

void TokenWatch::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof(one));
  thread_.join();
}

void TokenWatch::WatchLoop(int inotify_fd, int stop_fd) {
  alignas(inotify_event) char buf[4096];
  while (true) {
    pollfd fds[2] = {{inotify_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
    if (fds[0].revents == 0) continue;
    // Any change in the directory: drain the events, then compare the file's tokens (a
    // change to another file there reloads to the same tokens and logs nothing).
    while (read(inotify_fd, buf, sizeof(buf)) > 0) {
    }
    absl::StatusOr<TokenReload> r = Reload("changed on disk");
    (void)r;
    // The path may name a new inode now; watch that one (the same one: no change).
    inotify_add_watch(inotify_fd, path_.c_str(), kFileEvents);
  }
  close(inotify_fd);
}

absl::StatusOr<TokenReload> TokenWatch::Reload(absl::string_view why) {
  absl::StatusOr<std::vector<std::string>> tokens = proto::ReadTokenFile(path_);
  if (!tokens.ok()) {
    LOG(WARNING) << "token file " << path_ << " (" << why << "): " << tokens.status().message()
                 << "; the accepted tokens are unchanged";
    return tokens.status();
  }
  absl::MutexLock lock(&mu_);
  TokenReload r;
  r.added = Missing(*tokens, current_);
  r.removed = Missing(current_, *tokens);
  r.changed = r.added > 0 || r.removed > 0;
  if (r.changed) {
    tokens_->Replace(*tokens);
    current_ = *std::move(tokens);
    ++rotations_;
    LOG(INFO) << "token file " << path_ << " (" << why << "): rotation: " << current_.size()
              << " token(s) accepted, " << r.added << " added, " << r.removed << " removed";
  }
  r.tokens = current_.size();
  return r;
}

int TokenWatch::rotations() const {
  absl::MutexLock lock(&mu_);
  return rotations_;
}

}  // namespace synth::service
