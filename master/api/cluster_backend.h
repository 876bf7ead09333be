// File: master/api/cluster_backend.h
//
// Binds the cgminer API (backend.h) to synth-master's Cluster: the snapshot is
// Cluster::FillStatus + FillWorkers + FillPools, the pool switch is Cluster::SwitchPool, the
// same calls the control service (synthctl) makes. This file is the API's only dependency on
// master/service.
//
//   ASSIGN_OR_RETURN(auto api, ApiServer::Start(options, ClusterApiBackend(&cluster)));
//
// `cluster` must outlive the server. Thread-safe (the Cluster is).
#ifndef SYNTH_MASTER_API_CLUSTER_BACKEND_H_
#define SYNTH_MASTER_API_CLUSTER_BACKEND_H_

#include "master/api/backend.h"

namespace synth::service {
class Cluster;
}

namespace synth::api {

ApiBackend ClusterApiBackend(service::Cluster* cluster);

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_CLUSTER_BACKEND_H_
