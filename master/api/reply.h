// File: master/api/reply.h
//
// Answers one cgminer API request (docs/MONITORING.md "cgminer API"): the command table
// (report commands, `check`, and the privileged pool commands), the STATUS object and the two
// layouts cgminer answers in:
//   JSON    {"STATUS":[{"STATUS":"S","When":1700000000,"Code":11,"Msg":"Summary",
//            "Description":"synth-master 0.1.0"}],"SUMMARY":[{...}],"id":1}
//           joined: {"summary":[{"STATUS":[...],"SUMMARY":[...],"id":1}],"pools":[...],"id":1}
//   text    STATUS=S,When=...,Code=11,Msg=Summary,Description=...|SUMMARY,Elapsed=...,...|
//           joined: CMD=summary|STATUS=...|SUMMARY,...|CMD=pools|...
// Every answer ends with a NUL byte, as cgminer's do.
//
//   std::string out = Answer(ParseRequest(bytes), ApiGroup::kRead, ctx).bytes;
//
// Access: a command that changes state (switchpool, enablepool, disablepool, addpool,
// privileged) from a peer without write access gets cgminer's status 45 "Access denied to 'X'
// command" and changes nothing; a joined request may only hold report commands (others get 45
// in their section, as in cgminer). Secrets: nothing answered or logged repeats a parameter
// of addpool (it holds a pool password).
//
// Thread-safe (the backend's functions must be).
#ifndef SYNTH_MASTER_API_REPLY_H_
#define SYNTH_MASTER_API_REPLY_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "master/api/access.h"
#include "master/api/backend.h"
#include "master/api/request.h"

namespace synth::api {

struct ApiContext {
  const ApiBackend* backend = nullptr;  // Not owned.
  std::string pool_user;                // Shown as every pool's User (not a secret).
  absl::Time now;                       // The request's time (`When`).
};

struct ApiAnswer {
  std::string bytes;                // The whole answer, NUL included.
  std::vector<std::string> denied;  // Privileged commands refused (status 45), for the log.
};

// Answers `req` for a peer of `group` (kRead or kWrite).
ApiAnswer Answer(const ApiRequest& req, ApiGroup group, const ApiContext& ctx);

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_REPLY_H_
