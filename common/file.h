// File: common/file.h
//
// Reading the small files synth is configured with (config files, secrets, token files, PEM
// certificates and keys) with one bound and one error style.
//
//   ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "token file"));
//
// Thread-safe.
#ifndef SYNTH_COMMON_FILE_H_
#define SYNTH_COMMON_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace synth {

// Returns the contents of `path`. NOT_FOUND "cannot read WHAT 'PATH': <errno text>" when it
// cannot be opened; INVALID_ARGUMENT when it is over 1 MiB. Errors never quote the contents.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, absl::string_view what);

}  // namespace synth

#endif  // SYNTH_COMMON_FILE_H_
