// File: common/logging.h
//
// The one logging header of the project: everything logs through glog's LOG/VLOG/CHECK macros,
// included from here, so that a later switch of logging library touches this file alone.
// Secrets (pool passwords, tokens) are never logged; use synth::Redacted() for them.
//
//   LOG(INFO) << "pool " << url << " user " << user << " pass " << synth::Redacted(pass);
#ifndef SYNTH_COMMON_LOGGING_H_
#define SYNTH_COMMON_LOGGING_H_

#include <string>
#include <string_view>

#include "glog/logging.h"

namespace synth {

// Returns a fixed placeholder for a secret: "<redacted>" for a non-empty value, "<empty>" otherwise.
inline std::string Redacted(std::string_view secret) {
  return secret.empty() ? "<empty>" : "<redacted>";
}

// Initializes glog for a binary: logs to stderr, program name as given. Call once from main().
void InitLogging(const char* argv0);

}  // namespace synth

#endif  // SYNTH_COMMON_LOGGING_H_
