#include "common/logging.h"

// Sanitizer builds (presets asan, tsan, debug; the fuzz build) report a crash themselves, with
// the faulting access and its stack; glog's failure handler would replace theirs (a SEGV then
// printed only glog's trace and exited 139 instead of the sanitizer's report and exit code).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SYNTH_SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SYNTH_SANITIZER_BUILD 1
#endif
#endif

namespace synth {

void InitLogging(const char* argv0) {
  FLAGS_logtostderr = true;
  FLAGS_colorlogtostderr = false;
  google::InitGoogleLogging(argv0);
#ifndef SYNTH_SANITIZER_BUILD
  // A crash prints the signal and a stack trace (no flag values, so no secrets:
  // tests/security/secrets_test.sh checks the dump of a SIGABRT). Not in sanitizer builds: the
  // sanitizer's own handler stays installed and reports the crash (docs/RELIABILITY.md).
  google::InstallFailureSignalHandler();
#endif
}

}  // namespace synth
