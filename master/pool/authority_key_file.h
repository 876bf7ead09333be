// File: master/pool/authority_key_file.h
//
// synth-pool's SV2 authority key on disk: 64 hex digits (the secret key) and a newline, in a
// file created with mode 0600 on first start and read on every later one, so the pool's
// stratum2+tcp:// URL stays the same across restarts (docs/STRATUM.md "Stratum V2").
//
//   bool created = false;
//   ASSIGN_OR_RETURN(sv2::SecretKey key, LoadOrCreateAuthorityKey(path, &created));
//
// The key is never logged. A file readable by group or others is used, with a warning (secrets
// mounted by orchestrators are often 0644). Errors: FailedPrecondition naming the path and what
// is wrong (unreadable, not 64 hex digits, not a valid secp256k1 key). Thread-safe.
#ifndef SYNTH_MASTER_POOL_AUTHORITY_KEY_FILE_H_
#define SYNTH_MASTER_POOL_AUTHORITY_KEY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/sv2/keys.h"

namespace synth::pool {

absl::StatusOr<sv2::SecretKey> LoadOrCreateAuthorityKey(const std::string& path, bool* created);

}  // namespace synth::pool

#endif  // SYNTH_MASTER_POOL_AUTHORITY_KEY_FILE_H_
