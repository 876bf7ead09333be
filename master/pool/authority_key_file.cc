#include "master/pool/authority_key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"

namespace synth::pool {
namespace {

absl::Status Bad(const std::string& path, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat("SV2 authority key file ", path, ": ", what));
}

absl::StatusOr<sv2::SecretKey> Create(const std::string& path) {
  absl::StatusOr<sv2::SecretKey> key = sv2::GenerateSecretKey(sv2::SystemRandom());
  if (!key.ok()) return key.status();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Bad(path, absl::StrCat("cannot create: ", std::strerror(errno)));
  std::string text = bitcoin::BytesToHex(key->bytes()) + "\n";
  bool ok = fchmod(fd, 0600) == 0 &&
            write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = (fsync(fd) == 0) && ok;
  close(fd);
  std::fill(text.begin(), text.end(), '\0');
  if (!ok) {
    unlink(path.c_str());
    return Bad(path, "cannot write the new key");
  }
  return key;
}

absl::StatusOr<sv2::SecretKey> Read(const std::string& path, int fd) {
  struct stat st;
  if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
    LOG(WARNING) << "SV2 authority key file " << path << " is readable by others (mode "
                 << absl::StrFormat("%o", st.st_mode & 0777) << "); chmod 600 it";
  }
  char buf[130];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n < 0) return Bad(path, absl::StrCat("cannot read: ", std::strerror(errno)));
  std::string text(buf, static_cast<size_t>(n));
  std::fill(std::begin(buf), std::end(buf), '\0');
  absl::string_view hex = absl::StripAsciiWhitespace(text);
  absl::StatusOr<std::array<uint8_t, 32>> bytes =
      bitcoin::HexToArray<32>(std::string_view(hex.data(), hex.size()), "authority key");
  std::fill(text.begin(), text.end(), '\0');
  if (!bytes.ok()) return Bad(path, "expected 64 hex digits");
  sv2::SecretKey key(*bytes);
  bytes->fill(0);
  if (!sv2::CheckSecretKey(key).ok()) return Bad(path, "not a valid secp256k1 secret key");
  return key;
}

}  // namespace

absl::StatusOr<sv2::SecretKey> LoadOrCreateAuthorityKey(const std::string& path, bool* created) {
  *created = false;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    absl::StatusOr<sv2::SecretKey> key = Create(path);
    if (key.ok()) *created = true;
    return key;
  }
  if (fd < 0) return Bad(path, absl::StrCat("cannot open: ", std::strerror(errno)));
  absl::StatusOr<sv2::SecretKey> key = Read(path, fd);
  close(fd);
  return key;
}

}  // namespace synth::pool
