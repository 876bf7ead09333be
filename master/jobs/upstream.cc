#include "master/jobs/upstream.h"

namespace synth::jobs {

std::vector<UpstreamPool> Upstream::Pools() const {
  UpstreamInfo info = Info();
  UpstreamPool p;
  p.url = info.url;
  p.active = true;
  p.connected = info.connected;
  p.preferred = true;
  p.state = info.connected ? "active" : "connecting";
  return {p};
}

absl::StatusOr<UpstreamPool> Upstream::SwitchPool(int) {
  return absl::UnimplementedError("this upstream has a single pool; nothing to switch to");
}

absl::StatusOr<UpstreamPool> Upstream::SwitchPool(const std::string&) {
  return absl::UnimplementedError("this upstream has a single pool; nothing to switch to");
}

}  // namespace synth::jobs
