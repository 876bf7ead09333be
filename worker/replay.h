// File: worker/replay.h
//
// `synth-worker replay FILE`: mines one pool job offline, so an operator can check a setup
// against a real job without a pool or a master. The request is JSON:
//
//   {"notify": [the mining.notify params exactly as the pool sent them],
//    "extranonce1": "hex", "extranonce2": "hex", "difficulty": D,
//    "nonce_start": N, "nonce_count": M,
//    "version_mask": "1fffe000" (optional), "version": "8-hex rolled version" (optional),
//    "worker": "name" (optional)}
//
// and the output is one JSON line per share found, holding exactly the mining.submit params:
//
//   {"submit": [worker, job_id, extranonce2, ntime, nonce (, version_bits)],
//    "hash": "block hash in display order", "difficulty": share difficulty}
//
// Thread-compatible: RunReplay hashes on the calling thread.
#ifndef SYNTH_WORKER_REPLAY_H_
#define SYNTH_WORKER_REPLAY_H_

#include <ostream>
#include <string_view>

#include "absl/status/status.h"

namespace synth::worker {

// Parses the request in `request_json`, hashes its nonce range with the CPU hash core named
// `hash_core` ("auto" picks the best), and writes one line per share to `out` in nonce order.
// Returns InvalidArgument naming the field for bad input; nothing is written then.
absl::Status RunReplay(std::string_view request_json, std::string_view hash_core,
                       std::ostream& out);

}  // namespace synth::worker

#endif  // SYNTH_WORKER_REPLAY_H_
