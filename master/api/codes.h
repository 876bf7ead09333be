// File: master/api/codes.h
//
// The status codes synth-master's cgminer API answers with: cgminer's own numbers (its api.c
// MSG_* constants), so clients that branch on `Code` keep working, plus one of synth's for
// commands cgminer has and synth cannot honour. The severity letter and the message text of
// each live in one table in reply.cc.
#ifndef SYNTH_MASTER_API_CODES_H_
#define SYNTH_MASTER_API_CODES_H_

namespace synth::api {

enum ApiCode : int {
  kCodePools = 7,            // S "%d Pool(s)"
  kCodeNoPools = 8,          // E "No pools"
  kCodeDevs = 9,             // S "%d ASC(s)"
  kCodeNoDevs = 10,          // E "No ASCs"
  kCodeSummary = 11,         // S "Summary"
  kCodeInvalidCommand = 14,  // E "Invalid command"
  kCodeVersion = 22,         // S "CGMiner versions"
  kCodeInvalidJson = 23,     // E "Invalid JSON"
  kCodeMissingCommand = 24,  // E "Missing JSON 'command'"
  kCodeMissingPoolId = 25,   // E "Missing pool id parameter"
  kCodeInvalidPoolId = 26,   // E "Invalid pool id %d - range is 0 - %d"
  kCodeSwitchPool = 27,      // S "Switching to pool %d:'%s'"
  kCodeConfig = 33,          // S "CGMiner config"
  kCodeAccessDenied = 45,    // E "Access denied to '%s' command"
  kCodeAccessOk = 46,        // S "Privileged access OK"
  kCodeAlreadyEnabled = 49,  // I "Pool %d:'%s' already enabled"
  kCodeMissingAddPool = 52,  // E "Missing addpool details"
  kCodeStats = 70,           // S "CGMiner stats"
  kCodeMissingCheck = 71,    // E "Missing check cmd"
  kCodeCheck = 72,           // S "Check command"
  kCodeNotSupported = 200,   // E (synth) "'%s' is not supported by synth-master: %s"
};

}  // namespace synth::api

#endif  // SYNTH_MASTER_API_CODES_H_
