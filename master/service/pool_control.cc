#include "master/service/pool_control.h"

#include "common/logging.h"

namespace synth::service {
namespace {

void ToProto(const jobs::UpstreamPool& p, v1::PoolStatus* out) {
  out->set_index(static_cast<uint32_t>(p.index));
  out->set_url(p.url);
  out->set_state(p.state);
  out->set_active(p.active);
  out->set_connected(p.connected);
  out->set_preferred(p.preferred);
  out->set_added(p.added);
  out->set_accepted(p.accepted);
  out->set_rejected(p.rejected);
  out->set_stale(p.stale);
  out->set_connects(p.connects);
  out->set_disconnects(p.disconnects);
  out->set_failovers(p.failovers);
}

}  // namespace

void PoolControl::FillPools(v1::PoolsResponse* out) const {
  out->set_switches(switches_.load());
  if (upstream_ == nullptr) return;
  for (const jobs::UpstreamPool& p : upstream_->Pools()) ToProto(p, out->add_pools());
}

absl::StatusOr<v1::SwitchPoolResponse> PoolControl::SwitchPool(const v1::SwitchPoolRequest& req) {
  if (upstream_ == nullptr) return absl::FailedPreconditionError("the master has no upstream");
  absl::StatusOr<jobs::UpstreamPool> p;
  size_t before = upstream_->Pools().size();
  switch (req.target_case()) {
    case v1::SwitchPoolRequest::kIndex:
      p = upstream_->SwitchPool(static_cast<int>(req.index()));
      break;
    case v1::SwitchPoolRequest::kUrl:
      p = upstream_->SwitchPool(req.url());
      break;
    default:
      return absl::InvalidArgumentError("pool switch: give a pool index or a URL");
  }
  if (!p.ok()) return p.status();
  LOG(INFO) << "pool switch to " << p->url << " (pool " << p->index << ") by an operator";
  ++switches_;
  v1::SwitchPoolResponse r;
  r.set_index(static_cast<uint32_t>(p->index));
  r.set_url(p->url);
  r.set_added(static_cast<size_t>(p->index) >= before);
  return r;
}

}  // namespace synth::service
