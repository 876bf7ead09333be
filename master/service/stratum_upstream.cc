#include "master/service/stratum_upstream.h"

#include "absl/strings/str_cat.h"
#include "master/jobs/synthetic_upstream.h"
#include "master/stratum/upstream_adapter.h"

namespace synth::service {

absl::StatusOr<std::unique_ptr<jobs::Upstream>> MakeStratumUpstream(
    const std::vector<PoolConfig>& pools, const PoolTimeouts& timeouts) {
  if (pools.empty()) return absl::InvalidArgumentError("no --pool given");
  const std::string& url = pools.front().url;
  if (url.rfind("synthetic://", 0) == 0) {
    absl::StatusOr<std::unique_ptr<jobs::SyntheticUpstream>> up =
        jobs::SyntheticUpstream::FromUrl(url);
    if (!up.ok()) return up.status();
    return std::unique_ptr<jobs::Upstream>(std::move(*up));
  }
  if (url.rfind("stratum+tcp://", 0) == 0 || url.rfind("stratum+ssl://", 0) == 0 ||
      url.rfind("stratum2+tcp://", 0) == 0) {
    stratum::ClientOptions options;
    options.session.stall_timeout = timeouts.stall;
    options.session.submit_timeout = timeouts.submit;
    options.primary_retry = timeouts.primary_retry;
    for (size_t i = 0; i < pools.size(); ++i) {  // Failover order = the order of --pool.
      options.pools.push_back({pools[i].url, pools[i].user, pools[i].pass, static_cast<int>(i)});
    }
    return stratum::MakeClientUpstream(std::move(options));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown pool URL scheme in '", url, "' (stratum+tcp:// or synthetic://)"));
}

}  // namespace synth::service
