// File: proto/midstate_codec.h
//
// The wire form of a midstate's hashing work (v1::Midstate's state, tail and share_target),
// written by the master and read by workers; proto/synth/v1/worker.proto documents it:
// state = H0..H7, each word big-endian; tail = header bytes 64..75; share_target = the 256-bit
// target little-endian (word 0's low byte first), compared like the hash.
//
//   EncodeScanWork(midstate.work, grant.add_midstates());
//   ASSIGN_OR_RETURN(hash::ScanWork work, DecodeScanWork(grant.midstates(0)));
//
// Thread-safe: pure functions.
#ifndef SYNTH_PROTO_MIDSTATE_CODEC_H_
#define SYNTH_PROTO_MIDSTATE_CODEC_H_

#include "absl/status/statusor.h"
#include "common/hash/scan.h"
#include "synth/v1/worker.pb.h"

namespace synth::proto {

// Sets out's state, tail and share_target from `work` (other fields are left alone).
void EncodeScanWork(const hash::ScanWork& work, v1::Midstate* out);

// Returns the work in `m`; a field of the wrong length is InvalidArgument naming the midstate,
// its job and the field.
absl::StatusOr<hash::ScanWork> DecodeScanWork(const v1::Midstate& m);

}  // namespace synth::proto

#endif  // SYNTH_PROTO_MIDSTATE_CODEC_H_
