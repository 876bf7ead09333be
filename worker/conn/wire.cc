#include "worker/conn/wire.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "proto/midstate_codec.h"

namespace synth::worker {
namespace {

v1::DeviceKind KindToProto(DeviceKind kind) {
  return kind == DeviceKind::kCuda ? v1::DEVICE_KIND_CUDA : v1::DEVICE_KIND_CPU;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const hash::ScanWork>> ParseMidstate(const v1::Midstate& m) {
  absl::StatusOr<hash::ScanWork> work = proto::DecodeScanWork(m);
  if (!work.ok()) return work.status();
  return std::make_shared<const hash::ScanWork>(*work);
}

v1::Midstate MidstateMessage(uint64_t midstate_id, const std::string& job_id,
                             const hash::ScanWork& work) {
  v1::Midstate m;
  m.set_midstate_id(midstate_id);
  m.set_job_id(job_id);
  m.set_version_group(midstate_id);
  proto::EncodeScanWork(work, &m);
  return m;
}

absl::StatusOr<WorkUnit> ParseWorkUnit(const v1::WorkUnit& u,
                                       std::shared_ptr<const hash::ScanWork> work) {
  if (u.nonce_count() == 0 || uint64_t{u.nonce_start()} + u.nonce_count() > (uint64_t{1} << 32)) {
    return absl::InvalidArgumentError(absl::StrCat("unit ", u.unit_id(), ": nonces [",
                                                   u.nonce_start(), ", +", u.nonce_count(),
                                                   ") are empty or past 2^32"));
  }
  return WorkUnit{u.unit_id(), u.job_id(), u.midstate_id(), std::move(work), u.nonce_start(),
                  u.nonce_count()};
}

v1::WorkerMessage HelloMessage(const std::string& worker_id, const std::string& hostname,
                               const std::vector<DeviceStats>& devices) {
  v1::WorkerMessage msg;
  v1::Hello* hello = msg.mutable_hello();
  hello->set_worker_id(worker_id);
  hello->set_hostname(hostname);
  hello->set_version(kWorkerVersion);
  hello->set_protocol_version(kProtocolVersion);
  for (const DeviceStats& d : devices) {
    v1::DeviceInfo* info = hello->add_devices();
    info->set_name(d.info.name);
    info->set_kind(KindToProto(d.info.kind));
    info->set_impl(d.info.impl);
    info->set_benchmarked_rate_hps(d.window.rate_hps);  // Last known; 0 on the first stream.
    info->set_threads(d.info.kind == DeviceKind::kCpu ? 1 : 0);
  }
  return msg;
}

v1::WorkerMessage ShareMessage(const PendingShare& pending) {
  v1::WorkerMessage msg;
  v1::Share* s = msg.mutable_share();
  s->set_share_id(pending.share_id);
  s->set_unit_id(pending.share.unit_id);
  s->set_midstate_id(pending.share.midstate_id);
  s->set_job_id(pending.share.job_id);
  s->set_nonce(pending.share.nonce);
  s->set_device(pending.share.device);
  s->set_found_unix_us(absl::ToUnixMicros(pending.share.found_at));
  return msg;
}

v1::UnitState UnitStateToProto(UnitState state) {
  switch (state) {
    case UnitState::kCompleted:
      return v1::UNIT_STATE_COMPLETED;
    case UnitState::kCancelled:
      return v1::UNIT_STATE_CANCELLED;
    case UnitState::kReturned:
      return v1::UNIT_STATE_RETURNED;
  }
  return v1::UNIT_STATE_UNSPECIFIED;
}

v1::WorkerMessage ProgressMessage(const std::vector<UnitOutcome>& outcomes) {
  v1::WorkerMessage msg;
  for (const UnitOutcome& o : outcomes) {
    v1::UnitProgress* p = msg.mutable_progress()->add_units();
    p->set_unit_id(o.unit_id);
    p->set_state(UnitStateToProto(o.state));
    p->set_hashes_done(o.hashes_done);
    // Returned units were hashed in batches across devices: no contiguous prefix is claimed.
    p->set_contiguous_done(0);
  }
  return msg;
}

v1::WorkerMessage TelemetryMessage(const std::vector<DeviceStats>& devices,
                                   uint64_t buffered_hashes, uint32_t buffered_units,
                                   double idle_fraction) {
  v1::WorkerMessage msg;
  v1::Telemetry* t = msg.mutable_telemetry();
  for (const DeviceStats& d : devices) {
    v1::DeviceTelemetry* dt = t->add_devices();
    dt->set_device(d.info.name);
    dt->set_rate_hps(d.window.rate_hps);
    dt->set_window_busy_s(d.window.busy_s);
    dt->set_batch_latency_ms(d.window.mean_latency_ms);
    dt->set_batch_latency_p99_ms(d.window.max_latency_ms);
    dt->set_hashes_total(d.hashes_total);
    dt->set_errors(d.errors_total);
    dt->set_shares_found(d.shares_total);
    dt->set_trend(1.0 + d.window.trend);  // The proto's trend is a ratio: 1.0 = steady.
    dt->set_backed_off(d.disabled);
    dt->set_hung(d.hung);
    dt->set_hangs(d.hangs);
  }
  t->set_buffered_hashes(buffered_hashes);
  t->set_buffered_units(buffered_units);
  t->set_idle_fraction(std::clamp(idle_fraction, 0.0, 1.0));
  return msg;
}

}  // namespace synth::worker
