#include "master/service/messages.h"

#include <cmath>
#include <tuple>

#include "absl/hash/hash.h"
#include "common/logging.h"
#include "proto/midstate_codec.h"

namespace synth::service {

v1::MasterMessage WelcomeMessage(uint64_t session, const std::string& version,
                                 absl::Duration lease, uint32_t telemetry_interval_ms) {
  v1::MasterMessage msg;
  v1::Welcome* w = msg.mutable_welcome();
  w->set_session_id(session);
  w->set_master_version(version);
  w->set_lease_seconds(absl::ToDoubleSeconds(lease));
  w->set_telemetry_interval_ms(telemetry_interval_ms);
  return msg;
}

void ToProto(const jobs::Midstate& m, v1::Midstate* out) {
  out->set_midstate_id(m.midstate_id);
  out->set_job_id(m.job_key);
  proto::EncodeScanWork(m.work, out);
  out->set_version(m.version);
  out->set_share_difficulty(m.difficulty);
  out->set_version_group(m.version_group);
}

v1::MasterMessage GrantMessage(const lease::Lease& lease, SentMidstates* sent, uint64_t* hashes) {
  v1::MasterMessage msg;
  v1::LeaseGrant* g = msg.mutable_lease_grant();
  g->set_lease_id(lease.lease_id);
  g->set_expires_in_ms(static_cast<uint32_t>(absl::ToInt64Milliseconds(lease.expires_in)));
  g->set_sized_for_rate_hps(lease.sized_for_rate_hps);
  *hashes = 0;
  for (const lease::Unit* u : lease.units) {
    const jobs::Midstate& m = *u->midstate;
    if ((*sent)[m.job_key].insert(m.midstate_id).second) ToProto(m, g->add_midstates());
    v1::WorkUnit* w = g->add_units();
    w->set_unit_id(u->unit_id);
    w->set_job_id(m.job_key);
    w->set_midstate_id(m.midstate_id);
    w->set_nonce_start(u->nonce_start);
    w->set_nonce_count(u->nonce_count);
    *hashes += u->nonce_count;
  }
  return msg;
}

v1::MasterMessage CancelMessage(v1::CancelReason reason, bool all,
                                const std::vector<std::string>& job_ids,
                                const std::vector<uint64_t>& unit_ids, const std::string& detail) {
  v1::MasterMessage msg;
  v1::Cancel* c = msg.mutable_cancel();
  c->set_reason(reason);
  c->set_all(all);
  for (const std::string& k : job_ids) c->add_job_ids(k);
  for (uint64_t u : unit_ids) c->add_unit_ids(u);
  c->set_detail(detail);
  return msg;
}

v1::MasterMessage VerdictMessage(const shares::Verdict& v) {
  v1::MasterMessage msg;
  v1::ShareVerdict* out = msg.mutable_share_verdict();
  out->set_share_id(v.share_id);
  out->set_state(v.state);
  out->set_reason(v.reason);
  out->set_pool_code(v.pool_code);
  if (v.state == v1::SHARE_STATE_ACCEPTED) out->set_difficulty(v.difficulty);
  return msg;
}

std::vector<lease::DeviceRecord> DevicesOf(const v1::Hello& hello, double* rate) {
  std::vector<lease::DeviceRecord> devices;
  *rate = 0;
  for (const v1::DeviceInfo& d : hello.devices()) {
    double benchmarked = d.benchmarked_rate_hps();
    if (!std::isfinite(benchmarked) || benchmarked < 0) {
      LOG(WARNING) << "worker " << hello.worker_id() << " device " << d.name()
                   << ": benchmarked rate " << benchmarked << " H/s is not a finite rate >= 0;"
                   << " using 0 (unknown) until its telemetry reports one";
      benchmarked = 0;
    }
    devices.push_back({.name = d.name(),
                       .kind = d.kind() == v1::DEVICE_KIND_CUDA ? "cuda" : "cpu",
                       .impl = d.impl(),
                       .benchmarked_rate_hps = benchmarked});
    *rate += benchmarked;
  }
  return devices;
}

shares::LedgerShare LedgerShareOf(const std::string& worker_id, uint64_t session,
                                  const v1::Share& share) {
  return {.source = worker_id,
          .connection = session,
          .share_id = share.share_id(),
          .fingerprint = absl::Hash<std::tuple<uint64_t, uint64_t, std::string, uint32_t>>{}(
              {share.unit_id(), share.midstate_id(), share.job_id(), share.nonce()}),
          .device = share.device(),
          .job_key = share.job_id(),
          .nonce = share.nonce()};
}

}  // namespace synth::service
