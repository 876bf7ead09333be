#include "master/api/cluster_backend.h"

#include "master/service/cluster.h"

namespace synth::api {

ApiBackend ClusterApiBackend(service::Cluster* cluster) {
  return {[cluster] {
            ApiSnapshot snap;
            cluster->FillStatus(&snap.status);
            cluster->FillWorkers(&snap.workers);
            cluster->FillPools(&snap.pools);
            return snap;
          },
          [cluster](const v1::SwitchPoolRequest& req) { return cluster->SwitchPool(req); }};
}

}  // namespace synth::api
