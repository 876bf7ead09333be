// File: worker/scheduler/scheduler.h
//
// The worker's local pull scheduler. Leased WorkUnits wait in one FIFO queue; one thread per
// device pulls the next batch of nonces from the front unit (together with queued sibling units
// at the same nonce, up to Device::MaxWorksPerScan(), for a GPU's version-rolling launch), sized so that the batch takes
// about the target latency on that device (batch_sizer.h), hashes it with Device::Scan, and
// hands found nonces to `on_share` the moment Scan returns. A cancel (clean job) drops queued
// units at once and sets the cancel flag that in-flight Scans poll, so stale hashing stops
// within one internal device batch. Each device keeps a telemetry window of its newest batches
// (telemetry_window.h: about the last 2 s of busy time). A watchdog
// (watchdog.h) times every batch: when one runs far past its expected time the device is hung,
// the units of that batch go back to the master at once (kReturned), the device is asked to
// Recover(), and a device lost to hangs is reported through on_device_lost.
//
//   Scheduler sched(std::move(devices), SchedulerOptions{},
//                   {.on_share = [&](FoundShare s) { conn.SendShare(s); },
//                    .on_unit_done = [&](UnitOutcome o) { conn.ReportUnit(o); }});
//   sched.Start();
//   RETURN_IF_ERROR(sched.AddUnits(units));
//   if (sched.BufferedTime() < absl::Seconds(3)) conn.RequestLease();
//   sched.CancelJobs({"job-7"});                // stale work stops within milliseconds
//   sched.Stop();                               // unfinished units come back as kReturned
//
// Contract: every unit accepted by AddUnits ends in exactly one on_unit_done call (completed,
// cancelled or returned by Stop). Shares of a unit are delivered before its outcome.
//
// Thread-safety: all methods are thread-safe. Callbacks run on device threads, or on the thread
// calling a Cancel*/Stop method; they must not block and must not call back into the scheduler
// while holding a lock the caller of Cancel*/Stop holds.
#ifndef SYNTH_WORKER_SCHEDULER_SCHEDULER_H_
#define SYNTH_WORKER_SCHEDULER_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "worker/devices/device.h"
#include "worker/scheduler/batch_sizer.h"
#include "common/clock.h"
#include "worker/scheduler/telemetry_window.h"
#include "worker/scheduler/watchdog.h"
#include "worker/scheduler/work_unit.h"

namespace synth::worker {

struct SchedulerOptions {
  absl::Duration target_batch_latency = absl::Milliseconds(50);  // Per Scan call.
  uint64_t initial_cpu_batch = 1 << 16;      // Nonces in a CPU device's first batch.
  uint64_t initial_cuda_batch = 1 << 22;     // Nonces in a GPU's first batch.
  uint64_t min_batch = 1 << 10;              // Nonces.
  uint64_t max_batch = uint64_t{1} << 32;    // Nonces.
  absl::Duration error_backoff = absl::Milliseconds(200);  // Pause after a failed Scan.
  int max_consecutive_errors = 5;            // Then the device is disabled.
  bool verify_shares = true;  // Re-hash each found nonce with the scalar reference first.
  const Clock* clock = nullptr;              // nullptr: RealClock.
  WatchdogOptions watchdog;                  // Its clock defaults to `clock`.
};

struct SchedulerCallbacks {
  std::function<void(FoundShare)> on_share;       // A verified share; must not block.
  std::function<void(UnitOutcome)> on_unit_done;  // A unit's end; must not block.
  // The first batch of a job this scheduler had not hashed before was handed to `device` at
  // `at` (job-switch latency); optional, must not block.
  std::function<void(const std::string& job_id, const std::string& device, absl::Time at)>
      on_job_started;
  // `device` is lost to hangs (watchdog.h): the worker should stop and exit with
  // kExitDeviceLost. Runs on the watchdog's thread; optional, must not block or call Stop.
  std::function<void(const std::string& device, const std::string& reason)> on_device_lost;
  // The queued work is below the low-water mark (SetLowWater): called after a device took a
  // batch, at most once per batch, and after a cancel, while it stays below. Optional, must
  // not block (the master connection asks for a lease here).
  std::function<void()> on_low_water;
};

// One device as telemetry reports it.
struct DeviceStats {
  DeviceInfo info;
  TelemetrySummary window;      // Its newest batches (telemetry_window.h).
  uint64_t batch_size = 0;      // Nonces in the next batch.
  uint64_t hashes_total = 0;
  uint64_t shares_total = 0;
  uint64_t errors_total = 0;    // Failed Scans + nonces that did not verify.
  double idle_seconds = 0;      // Time spent waiting for work.
  bool disabled = false;        // Too many consecutive errors.
  bool hung = false;            // Its batch is past the watchdog's deadline (watchdog.h).
  uint64_t hangs = 0;           // Hangs since start.
  DeviceTelemetry hardware;
};

class Scheduler {
 public:
  Scheduler(std::vector<std::unique_ptr<Device>> devices, SchedulerOptions options,
            SchedulerCallbacks callbacks);
  ~Scheduler();  // Calls Stop().
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts one thread per device. Call once.
  void Start();

  // Stops hashing (in-flight Scans are cancelled), joins the device threads and ends every
  // unfinished unit as kReturned. Idempotent. The thread of a hung device is not waited for:
  // it and its device are left to the process's exit.
  void Stop();

  // Records a calibration batch run before Start() (hashes done in `latency`) as the device's
  // first telemetry sample, so the rate is known, and the batch sized, from the first lease on.
  // `device_index` is the position in the constructor's list; out of range is ignored.
  void AddCalibration(size_t device_index, uint64_t hashes, absl::Duration latency);

  // Queues units in order. Units with no work, a bad range (nonce_start + nonce_count > 2^32,
  // count 0) or a unit_id already live are skipped and reported in an InvalidArgument status;
  // the valid ones are queued either way.
  absl::Status AddUnits(std::vector<WorkUnit> units);

  // Cancels matching units: queued ones end at once, in-flight Scans are told to stop. Each
  // returns the number of units cancelled.
  int CancelJobs(const std::vector<std::string>& job_ids);
  int CancelUnits(const std::vector<uint64_t>& unit_ids);
  int CancelAll();

  // Returns the nonces queued and not yet handed to a device.
  uint64_t QueuedHashes() const;
  // Returns the devices' summed measured rate, hashes/s (0 before the first batches).
  double Rate() const;
  // Returns QueuedHashes() / Rate(); InfiniteDuration while the rate is unknown and work is
  // queued, ZeroDuration when nothing is queued.
  absl::Duration BufferedTime() const;
  // Returns the number of live units (queued or in flight).
  size_t LiveUnits() const;
  // Sets the mark under which on_low_water is called: less than `buffered` of work queued at
  // the measured rate (nothing queued counts as below; an unknown rate with work queued does
  // not). Zero (the default) turns the signal off.
  void SetLowWater(absl::Duration buffered);
  // Returns every device's counters and window (one consistent snapshot) and its hardware
  // readings, which are read without holding the lock the device threads need: a slow
  // Device::Telemetry (NVML) never delays a batch.
  std::vector<DeviceStats> Stats() const;

 private:
  struct Unit;
  struct Slot;
  // One Scan: the same nonces [begin, end) of one unit, or of up to MaxWorksPerScan() sibling
  // units (same job, tail and target: version-rolled midstates) hashed in lockstep.
  struct Chunk {
    std::vector<Unit*> units;
    std::vector<hash::ScanWork> works;  // works[i] is units[i]'s.
    uint64_t begin = 0, end = 0;
    bool new_job = false;  // The first batch of its job.
    absl::Duration expected;  // At the device's measured rate (the watchdog's yardstick).
    bool low_water = false;  // The queue was below the low-water mark after taking it.
  };

  void DeviceLoop(size_t index);
  bool NextChunk(size_t index, Chunk* chunk);
  void EmitShares(size_t index, const Chunk& chunk, const std::vector<FoundNonce>& found,
                  bool* bad_nonce);
  // Accounts a finished Scan; returns true when the device should back off.
  bool FinishChunk(size_t index, const Chunk& chunk, const absl::StatusOr<uint64_t>& done,
                   absl::Duration latency, bool bad_nonce);
  int CancelMatching(const std::function<bool(const Unit&)>& match);
  bool BelowLowWaterLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double RateLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndUnitLocked(Unit* unit, UnitState state, std::vector<UnitOutcome>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The watchdog's on_hung: returns the units of the device's stuck Scan now.
  void OnHung(size_t index);
  // Drops a unit's queued nonces and tells the devices hashing it to stop.
  void StopHashingLocked(Unit* unit) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver(std::vector<UnitOutcome> outcomes);

  // Constant after construction.
  const SchedulerOptions options_;
  const SchedulerCallbacks callbacks_;
  const Clock* const clock_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<Watchdog> watchdog_;

  mutable absl::Mutex mu_;
  absl::CondVar work_cv_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::map<uint64_t, std::unique_ptr<Unit>> units_ ABSL_GUARDED_BY(mu_);
  std::deque<Unit*> queue_ ABSL_GUARDED_BY(mu_);  // Units with nonces left to hand out.
  uint64_t queued_nonces_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration low_water_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> recent_jobs_ ABSL_GUARDED_BY(mu_);  // Jobs started, newest last.
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_SCHEDULER_SCHEDULER_H_
