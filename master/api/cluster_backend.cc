#include "master/api/cluster_backend.h"

#include "master/service/cluster.h"
#include "master/service/pool_control.h"
#include "master/service/status_views.h"

namespace synth::api {

ApiBackend ClusterApiBackend(const service::Cluster* cluster, service::PoolControl* pools) {
  return {[cluster, pools] {
            ApiSnapshot snap;
            service::FillStatus(*cluster, &snap.status);
            service::FillWorkers(*cluster, &snap.workers);
            pools->FillPools(&snap.pools);
            return snap;
          },
          [pools](const v1::SwitchPoolRequest& req) { return pools->SwitchPool(req); }};
}

}  // namespace synth::api
