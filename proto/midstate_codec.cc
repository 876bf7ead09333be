#include "proto/midstate_codec.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace synth::proto {
namespace {

absl::Status WrongLength(const v1::Midstate& m, const char* field, size_t want, size_t got) {
  return absl::InvalidArgumentError(absl::StrCat("midstate ", m.midstate_id(), " of job ",
                                                 m.job_id(), ": ", field, " has ", got,
                                                 " bytes, want ", want));
}

uint32_t LoadBe32(const char* p) {
  const auto* b = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
}

uint32_t LoadLe32(const char* p) {
  const auto* b = reinterpret_cast<const uint8_t*>(p);
  return uint32_t{b[3]} << 24 | uint32_t{b[2]} << 16 | uint32_t{b[1]} << 8 | b[0];
}

}  // namespace

void EncodeScanWork(const hash::ScanWork& work, v1::Midstate* out) {
  std::string state(32, '\0'), target(32, '\0');
  for (int i = 0; i < 8; ++i) {
    for (int b = 0; b < 4; ++b) {
      state[4 * i + b] = static_cast<char>(work.midstate[i] >> (24 - 8 * b));
      target[4 * i + b] = static_cast<char>(work.target[i] >> (8 * b));
    }
  }
  out->set_state(std::move(state));
  out->set_tail(work.tail.data(), work.tail.size());
  out->set_share_target(std::move(target));
}

absl::StatusOr<hash::ScanWork> DecodeScanWork(const v1::Midstate& m) {
  if (m.state().size() != 32) return WrongLength(m, "state", 32, m.state().size());
  if (m.tail().size() != 12) return WrongLength(m, "tail", 12, m.tail().size());
  if (m.share_target().size() != 32) {
    return WrongLength(m, "share_target", 32, m.share_target().size());
  }
  hash::ScanWork work;
  for (int i = 0; i < 8; ++i) {
    work.midstate[i] = LoadBe32(m.state().data() + 4 * i);
    work.target[i] = LoadLe32(m.share_target().data() + 4 * i);
  }
  std::copy(m.tail().begin(), m.tail().end(), work.tail.begin());
  return work;
}

}  // namespace synth::proto
