// File: worker/conn/wire.h
//
// Conversions between the worker's own types (scheduler/work_unit.h, scheduler.h) and the
// synth.v1 WorkerService messages (proto/synth/v1/worker.proto). Every message the master sends
// is validated here, so the rest of the worker only sees well-formed work.
//
//   ASSIGN_OR_RETURN(std::shared_ptr<const hash::ScanWork> work, ParseMidstate(grant.midstates(0)));
//   v1::WorkerMessage msg = ShareMessage(pending);
//
// Thread-safe: pure functions.
#ifndef SYNTH_WORKER_CONN_WIRE_H_
#define SYNTH_WORKER_CONN_WIRE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/hash/scan.h"
#include "synth/v1/worker.pb.h"
#include "worker/conn/share_outbox.h"
#include "worker/scheduler/scheduler.h"
#include "worker/scheduler/work_unit.h"

namespace synth::worker {

namespace v1 = ::synth::v1;

inline constexpr char kWorkerVersion[] = "0.1.0";
inline constexpr uint32_t kProtocolVersion = 1;

// Returns the ScanWork of a Midstate: 32-byte state (H0..H7, each word big-endian), 12-byte
// tail, 32-byte hash-order share target. InvalidArgument naming the midstate and the field on
// a wrong length.
absl::StatusOr<std::shared_ptr<const hash::ScanWork>> ParseMidstate(const v1::Midstate& m);

// Returns the Midstate message for `work` (the inverse of ParseMidstate; tests and tools).
v1::Midstate MidstateMessage(uint64_t midstate_id, const std::string& job_id,
                             const hash::ScanWork& work);

// Returns the scheduler's WorkUnit for a wire unit whose midstate is `work`. InvalidArgument on
// an empty or out-of-range nonce range.
absl::StatusOr<WorkUnit> ParseWorkUnit(const v1::WorkUnit& u,
                                       std::shared_ptr<const hash::ScanWork> work);

// Returns the Hello announcing `devices`.
v1::WorkerMessage HelloMessage(const std::string& worker_id, const std::string& hostname,
                               const std::vector<DeviceStats>& devices);

// Returns the Share message for a held share.
v1::WorkerMessage ShareMessage(const PendingShare& pending);

// Returns the proto state of a unit outcome.
v1::UnitState UnitStateToProto(UnitState state);

// Returns a Progress message for `outcomes`.
v1::WorkerMessage ProgressMessage(const std::vector<UnitOutcome>& outcomes);

// Returns a Telemetry message. `idle_fraction` in [0, 1].
v1::WorkerMessage TelemetryMessage(const std::vector<DeviceStats>& devices,
                                   uint64_t buffered_hashes, uint32_t buffered_units,
                                   double idle_fraction);

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_WIRE_H_
