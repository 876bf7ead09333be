#include "common/logging.h"

namespace synth {

void InitLogging(const char* argv0) {
  FLAGS_logtostderr = true;
  FLAGS_colorlogtostderr = false;
  google::InitGoogleLogging(argv0);
  // A crash prints the signal and a stack trace (no flag values, so no secrets:
  // tests/security/secrets_test.sh checks the dump of a SIGABRT).
  google::InstallFailureSignalHandler();
}

}  // namespace synth
