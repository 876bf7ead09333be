// File: master/service/messages.h
//
// WorkerService messages built from the master's own types, and the master's view of what a
// worker says: the one place where the Cluster's routing meets the wire (proto conversion).
//
//   v1::MasterMessage grant = GrantMessage(lease, &session.sent, &hashes);
//   sink->Send(CancelMessage(v1::CANCEL_REASON_CLEAN_JOB, /*all=*/true));
//   shares::LedgerShare s = LedgerShareOf("w1", session_id, msg.share());
//
// Thread-safe: pure functions.
#ifndef SYNTH_MASTER_SERVICE_MESSAGES_H_
#define SYNTH_MASTER_SERVICE_MESSAGES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "master/jobs/midstate.h"
#include "master/lease/lease_manager.h"
#include "master/lease/tuning.h"
#include "master/shares/share_ledger.h"
#include "synth/v1/worker.pb.h"

namespace synth::service {

// The midstates a stream has been sent, by job key (each goes out once per stream).
using SentMidstates = absl::flat_hash_map<std::string, absl::flat_hash_set<uint64_t>>;

// Returns the Welcome of session `session`: the master's version, the lease duration it aims
// for and the telemetry interval it wants.
v1::MasterMessage WelcomeMessage(uint64_t session, const std::string& version,
                                 absl::Duration lease, uint32_t telemetry_interval_ms);

// Fills a wire Midstate from a master midstate.
void ToProto(const jobs::Midstate& m, v1::Midstate* out);

// Returns the LeaseGrant of `lease`, with the midstates not yet in `sent` (added to it), and
// sets `hashes` to the nonces it grants.
v1::MasterMessage GrantMessage(const lease::Lease& lease, SentMidstates* sent, uint64_t* hashes);

// Returns a Cancel of everything (`all`), of `job_ids` and of `unit_ids`.
v1::MasterMessage CancelMessage(v1::CancelReason reason, bool all,
                                const std::vector<std::string>& job_ids = {},
                                const std::vector<uint64_t>& unit_ids = {},
                                const std::string& detail = "");

// Returns the ShareVerdict of `v` (the difficulty is credited only when accepted).
v1::MasterMessage VerdictMessage(const shares::Verdict& v);

// Returns the devices of a Hello for tuning, and their total benchmarked rate in `rate`. A
// benchmark that is NaN, infinite or negative counts as 0 (unknown, logged) until telemetry
// reports a rate: it must not poison the cluster rate or size an endless lease.
std::vector<lease::DeviceRecord> DevicesOf(const v1::Hello& hello, double* rate);

// Returns a worker's share as the ledger sees it: identity `worker_id`, its session as the
// connection, and a fingerprint of (unit, midstate, job, nonce).
shares::LedgerShare LedgerShareOf(const std::string& worker_id, uint64_t session,
                                  const v1::Share& share);

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_MESSAGES_H_
