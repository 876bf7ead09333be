// File: master/api/backend.h
//
// What the cgminer API reads and changes in the master: the control service's views
// (v1::StatusResponse, WorkersResponse, PoolsResponse, filled by Cluster::Fill*) taken together
// as one snapshot per request, and the one operation it can perform, a pool switch. The API
// code sees the master only through this struct, so its tests need no Cluster;
// cluster_backend.h binds it to the Cluster.
//
//   ApiBackend backend = ClusterApiBackend(&cluster);       // synth-master
//   ApiBackend fake{[&] { return snapshot; }, nullptr};     // tests (no switch_pool: writes
//                                                            // answer "not supported")
//
// Both functions are called from the API server's thread and must be thread-safe.
#ifndef SYNTH_MASTER_API_BACKEND_H_
#define SYNTH_MASTER_API_BACKEND_H_

#include <functional>

#include "absl/status/statusor.h"
#include "synth/v1/control.pb.h"

namespace synth::api {

// One consistent-enough view of the cluster for one request (each part is taken under the
// Cluster's lock on its own).
struct ApiSnapshot {
  v1::StatusResponse status;
  v1::WorkersResponse workers;
  v1::PoolsResponse pools;
};

struct ApiBackend {
  std::function<ApiSnapshot()> snapshot;
  // PoolControl::SwitchPool (synthctl pool switch); null when the master cannot switch.
  std::function<absl::StatusOr<v1::SwitchPoolResponse>(const v1::SwitchPoolRequest&)> switch_pool;
};

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_BACKEND_H_
