// File: master/api/test_snapshot.h
//
// A cluster snapshot for the API's tests: two workers (a CPU device; a CPU and a CUDA device),
// two pools (the first active and connected), known counts and rates.
#ifndef SYNTH_MASTER_API_TEST_SNAPSHOT_H_
#define SYNTH_MASTER_API_TEST_SNAPSHOT_H_

#include <string>

#include "master/api/backend.h"

namespace synth::api {

inline v1::DeviceStatus* AddDevice(v1::WorkerStatus* w, const char* name, const char* kind,
                                   double hps, uint64_t valid, uint64_t hw) {
  v1::DeviceStatus* d = w->add_devices();
  d->set_name(name);
  d->set_kind(kind);
  d->set_impl(std::string(kind) == "cuda" ? "cuda" : "avx2");
  d->set_reported_rate_hps(hps);
  d->set_verified_rate_hps(hps * 0.9);
  d->set_shares_valid(valid);
  d->set_hardware_errors(hw);
  d->set_batch_latency_ms(50);
  return d;
}

inline ApiSnapshot TestSnapshot() {
  ApiSnapshot s;
  v1::StatusResponse& st = s.status;
  st.set_master_version("0.1.0");
  st.set_uptime_s(120.7);
  st.set_pool_url("stratum+tcp://pool.example:3333");
  st.set_pool_connected(true);
  st.set_pool_difficulty(0.5);
  st.set_workers(2);
  st.mutable_reported_rates()->set_last_5s_hps(2.5e9);
  st.mutable_reported_rates()->set_last_1m_hps(2.4e9);
  st.mutable_reported_rates()->set_last_15m_hps(2.345678e9);
  st.set_best_share_difficulty(1234.9);
  v1::ShareCounts* c = st.mutable_shares();
  c->set_found(100);
  c->set_accepted(90);
  c->set_rejected(4);
  c->set_stale(2);
  c->set_hardware_error(3);
  c->set_duplicate(1);
  c->set_accepted_difficulty(45);
  v1::WorkerStatus* w1 = s.workers.add_workers();
  w1->set_worker_id("rig-1");
  w1->set_connected_s(60);
  w1->set_work_ratio(0.02);
  AddDevice(w1, "cpu0", "cpu", 4e7, 10, 0);
  v1::WorkerStatus* w2 = s.workers.add_workers();
  w2->set_worker_id("rig-2");
  w2->set_connected_s(100);
  w2->set_work_ratio(0.98);
  AddDevice(w2, "cpu0", "cpu", 5e7, 5, 0);
  AddDevice(w2, "cuda0", "cuda", 2.4e9, 80, 3)->set_flagged(true);
  v1::WorkerStatus* miner = s.workers.add_workers();  // A miner on the master's Stratum port.
  miner->set_worker_id("s9.rig");
  miner->set_connected_s(30);
  AddDevice(miner, "stratum", "stratum", 1.3e13, 50, 0);
  for (int i = 0; i < 2; ++i) {
    v1::PoolStatus* p = s.pools.add_pools();
    p->set_index(i);
    p->set_url(i == 0 ? "stratum+tcp://pool.example:3333" : "stratum+ssl://backup.example:443");
    p->set_state(i == 0 ? "active" : "standby");
    p->set_active(i == 0);
    p->set_connected(i == 0);
    p->set_preferred(i == 0);
    p->set_accepted(i == 0 ? 90 : 0);
    p->set_rejected(i == 0 ? 4 : 0);
    p->set_stale(i == 0 ? 2 : 0);
  }
  return s;
}

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_TEST_SNAPSHOT_H_
