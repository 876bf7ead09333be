// File: master/api/cluster_backend.h
//
// Binds the cgminer API (backend.h) to synth-master's Cluster: the snapshot is the status views'
// FillStatus + FillWorkers (master/service/status_views.h) and PoolControl::FillPools, the pool
// switch is PoolControl::SwitchPool, the same calls the control service (synthctl) makes. This
// file is the API's only dependency on master/service.
//
//   ASSIGN_OR_RETURN(auto api, ApiServer::Start(options,
//                                               ClusterApiBackend(&cluster, server->pools())));
//
// `cluster` and `pools` (the control service's, so that switches are counted once) must
// outlive the server. Thread-safe (both are).
#ifndef SYNTH_MASTER_API_CLUSTER_BACKEND_H_
#define SYNTH_MASTER_API_CLUSTER_BACKEND_H_

#include "master/api/backend.h"

namespace synth::service {
class Cluster;
class PoolControl;
}  // namespace synth::service

namespace synth::api {

ApiBackend ClusterApiBackend(const service::Cluster* cluster, service::PoolControl* pools);

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_CLUSTER_BACKEND_H_
