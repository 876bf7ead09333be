// File: master/service/pool_control.h
//
// The operator's side of the upstream (synthctl pools, synthctl pool switch): lists the pools
// the upstream may use and switches between them, counting the switches made through it.
//
//   PoolControl pools(upstream);
//   v1::PoolsResponse r;  pools.FillPools(&r);
//   ASSIGN_OR_RETURN(v1::SwitchPoolResponse s, pools.SwitchPool(req));
//
// Thread-safe. The upstream is asked without any Cluster lock held (it may hold its own lock
// while it calls Cluster::OnJob).
#ifndef SYNTH_MASTER_SERVICE_POOL_CONTROL_H_
#define SYNTH_MASTER_SERVICE_POOL_CONTROL_H_

#include <atomic>
#include <cstdint>

#include "absl/status/statusor.h"
#include "master/jobs/upstream.h"
#include "synth/v1/control.pb.h"

namespace synth::service {

class PoolControl {
 public:
  // `upstream` may be null (then there are no pools and no switch); it must outlive this.
  explicit PoolControl(jobs::Upstream* upstream) : upstream_(upstream) {}

  // Every pool of the upstream (Upstream::Pools) and the switches made here.
  void FillPools(v1::PoolsResponse* out) const;
  // Upstream::SwitchPool by index or URL. INVALID_ARGUMENT when the request names neither,
  // FAILED_PRECONDITION without an upstream, else the upstream's error.
  absl::StatusOr<v1::SwitchPoolResponse> SwitchPool(const v1::SwitchPoolRequest& req);

 private:
  jobs::Upstream* const upstream_;
  std::atomic<uint64_t> switches_{0};
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_POOL_CONTROL_H_
