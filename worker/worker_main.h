// File: worker/worker_main.h
//
// synth-worker's worker mode: builds the devices (--devices/--threads/--hash-core), the local
// pull scheduler and the master connection, runs until SIGINT/SIGTERM (or --run-seconds), then
// returns unfinished work to the master, flushes shares and exits.
//
//   // main.cc, when not in --benchmark mode:
//   return synth::worker::RunWorker(synth::worker::WorkerOptionsFromFlags(
//       {absl::GetFlag(FLAGS_devices), absl::GetFlag(FLAGS_threads),
//        absl::GetFlag(FLAGS_hash_core)}));
//
// Flags defined in worker_main.cc (dashes or underscores): --master HOST:PORT[,HOST:PORT...],
// --master-failover-seconds, --master-return-seconds, --master-lost-seconds,
// --master-keepalive-seconds, --token
// (default: env SYNTH_TOKEN), --id, --batch-ms, --buffer-seconds, --lease-seconds,
// --run-seconds, --status-seconds, --http-listen (HOST:PORT for /metrics and /healthz, off when
// empty; worker/http/worker_http.h), --hang-seconds and --hang-give-up-seconds (the watchdog,
// worker/scheduler/watchdog.h).
//
// On exit RunWorker prints one JSON line to stdout:
//   {"worker_id":"h-12","seconds":60.0,"hashes":...,"rate_hps":...,"shares_found":...,
//    "shares_accepted":...,"shares_rejected":...,"shares_stale":...,"shares_invalid":...,
//    "shares_unanswered":...,"shares_master_lost":...,"master":"A:4650","master_moves":0,
//    "streams":1,"verdicts":{"SHARE_STATE_ACCEPTED":...}}
//
// Thread-safety: call RunWorker once, from main's thread (it blocks SIGINT/SIGTERM in every
// thread it starts and waits for them itself).
#ifndef SYNTH_WORKER_WORKER_MAIN_H_
#define SYNTH_WORKER_WORKER_MAIN_H_

#include <string>

#include "worker/devices/registry.h"

namespace synth::worker {

// synth-master's default worker endpoint on loopback (flags of both sides agree).
inline constexpr char kDefaultMasterAddress[] = "127.0.0.1:4650";

struct WorkerOptions {
  std::string master = kDefaultMasterAddress;  // HOST:PORT, or several comma-separated.
  double master_failover_seconds = 2;   // With several masters (docs/WORKER.md).
  double master_return_seconds = 30;
  double master_lost_seconds = 120;
  double master_keepalive_seconds = 15;  // gRPC keepalive pings (docs/DESIGN.md §8).
  std::string token;            // Bearer token for the master; "" sends none.
  std::string token_file;       // --token-file: its first token, re-read at each connect.
  std::string tls_ca;           // --tls-ca: PEM CA of the master's certificate; "" = plaintext.
  std::string tls_cert;         // --tls-cert/--tls-key: client certificate for mTLS.
  std::string tls_key;
  std::string worker_id;        // "" = "<hostname>-<pid>".
  DeviceOptions devices;        // --devices, --threads, --hash-core.
  double batch_ms = 50;         // Target wall time of one device batch, milliseconds.
  double buffer_seconds = 2;    // Ask for more work below this many seconds buffered.
  double lease_seconds = 0;     // Seconds of work per lease request; 0 = the master's choice.
  double run_seconds = 0;       // Stop after this long; 0 = until SIGINT/SIGTERM.
  double status_seconds = 10;   // Interval of the status log line; 0 = none.
  std::string http_listen;      // HOST:PORT of /metrics and /healthz; "" = off.
  double hang_seconds = 5;      // A batch past 10x its time and this long is hung.
  double hang_give_up_seconds = 60;  // Hung this long (or 3 hangs in 10 min): exit 3.
};

// Returns the options from this file's flags plus `devices` (flags main.cc owns).
WorkerOptions WorkerOptionsFromFlags(DeviceOptions devices);

// Runs the worker; returns the process exit code: 0 after a clean stop, 2 on bad options or
// devices, kExitDeviceLost (3, worker/scheduler/watchdog.h) when a device was lost to hangs (the
// units of the other devices are returned first; the hung thread is left behind).
int RunWorker(const WorkerOptions& options);

}  // namespace synth::worker

#endif  // SYNTH_WORKER_WORKER_MAIN_H_
