// File: master/api/access.h
//
// Who may use synth-master's cgminer-compatible API (docs/MONITORING.md "cgminer API"), from an
// `--api-allow` list in cgminer's syntax:
//
//   ASSIGN_OR_RETURN(ApiAccess access, ApiAccess::Parse("W:127.0.0.1,10.0.0/24"));
//   ApiGroup g = access.Lookup("10.0.0.7");   // kRead
//
// Entries are comma-separated `[G:]ADDRESS[/PREFIX]`:
//   - `W:` gives privileged (write) access: the commands that change state (switchpool, ...);
//     `R:` or no group gives read access. Other group letters (cgminer's --api-groups) are an
//     error.
//   - ADDRESS is IPv4, padded with `.0` as cgminer does ("10.0.0" = 10.0.0.0), or IPv6 (may be
//     bracketed; must be when it starts with a letter and a colon, "[a::1]", which would read
//     as a group). PREFIX defaults to 32 (128 for IPv6); `0/0` matches every IPv4 address and
//     `::/0` every IPv6 one. An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) is matched as IPv4.
//   - The first entry that matches a peer decides its group, in the order given.
//   - A peer that matches no entry may read when the list has no read entries (it only grants
//     write access, e.g. "W:127.0.0.1"); when the list names readers, it is refused (kNone):
//     the server closes the connection without an answer, as cgminer does.
// An empty list gives every peer that reaches the listen address read access.
//
// Thread-safe after construction (const).
#ifndef SYNTH_MASTER_API_ACCESS_H_
#define SYNTH_MASTER_API_ACCESS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace synth::api {

enum class ApiGroup { kNone, kRead, kWrite };

class ApiAccess {
 public:
  ApiAccess() = default;

  // Parses an --api-allow list. INVALID_ARGUMENT naming the bad entry.
  static absl::StatusOr<ApiAccess> Parse(absl::string_view list);

  // Returns the group of the peer at textual address `ip` (an unparsable one is unmatched).
  ApiGroup Lookup(absl::string_view ip) const;

  // True when no entry grants write access (every privileged command is denied).
  bool read_only() const;

 private:
  struct Entry {
    bool write = false;
    bool v6 = false;
    std::array<uint8_t, 16> addr{};  // IPv4 in the first 4 bytes.
    int prefix = 32;
  };
  std::vector<Entry> entries_;
  bool names_readers_ = false;
};

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_ACCESS_H_
