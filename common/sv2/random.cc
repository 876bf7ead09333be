#include "common/sv2/random.h"

#include <openssl/rand.h>

namespace synth::sv2 {

RandomFn SystemRandom() {
  return [](std::span<uint8_t> out) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
      return absl::InternalError("RAND_bytes failed: no randomness available");
    }
    return absl::OkStatus();
  };
}

}  // namespace synth::sv2
