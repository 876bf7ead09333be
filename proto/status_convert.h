// File: proto/status_convert.h
//
// The one place where absl::Status and grpc::Status meet (convert at the RPC edge only): services convert at
// the RPC edge and nowhere else. Codes map one to one (both follow google.rpc.Code); messages are
// copied.
//
//   grpc::Status s = synth::proto::ToGrpcStatus(absl::NotFoundError("no such worker"));
//   absl::Status back = synth::proto::FromGrpcStatus(s);   // NotFound, same message
//
// Thread-safe: pure functions.
#ifndef SYNTH_PROTO_STATUS_CONVERT_H_
#define SYNTH_PROTO_STATUS_CONVERT_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace synth::proto {

// Returns the grpc::Status with the same code and message as `status`.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Returns the absl::Status with the same code and message as `status`.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace synth::proto

#endif  // SYNTH_PROTO_STATUS_CONVERT_H_
