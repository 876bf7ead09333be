// File: worker/scheduler/fake_device.h
//
// Test doubles for the scheduler and the worker's tests: a Device whose speed, failures and
// found nonces are scripted, and a per-thread fake clock so that each device thread's batch
// latency follows its own scripted rate.
//
//   FakeDevice::Script script{.rate_hps = 1e7, .share_every = 1 << 16};
//   auto device = std::make_unique<FakeDevice>("cpu0", script);
//   FakeDevice* spy = device.get();       // keep a pointer before handing the device over
//
// Thread-safety: FakeDevice is thread-safe (its journal is locked).
#ifndef SYNTH_WORKER_SCHEDULER_FAKE_DEVICE_H_
#define SYNTH_WORKER_SCHEDULER_FAKE_DEVICE_H_

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "worker/devices/device.h"
#include "common/clock.h"

namespace synth::worker {

// Time that each thread keeps for itself; a FakeDevice in `per_thread_clock` mode advances
// its own thread's time by count / rate_hps on every Scan.
class PerThreadFakeClock : public Clock {
 public:
  absl::Time Now() const override { return Local(); }
  static void Advance(absl::Duration d) { Local() += d; }

 private:
  static absl::Time& Local() {
    thread_local absl::Time now = absl::UnixEpoch();
    return now;
  }
};

class FakeDevice : public Device {
 public:
  struct Script {
    double rate_hps = 1e7;          // Scripted speed (PerThreadFakeClock time), hashes/s.
    uint32_t share_every = 0;       // Report nonces n with n % share_every == 0; 0: none.
    int fail_first = 0;             // The first N Scans fail with UnavailableError.
    bool fail_always = false;       // Every Scan fails.
    // Real-time mode: hash `real_chunk` nonces per millisecond of real sleep, polling the
    // cancel flag each millisecond (for cancel-latency tests). 0: return at once.
    uint64_t real_chunk = 0;
    bool per_thread_clock = true;   // Advance PerThreadFakeClock by count / rate_hps.
    // Real time each Scan takes at least, so that concurrent devices all get turns.
    absl::Duration real_delay = absl::Microseconds(100);
    int max_works = 1;              // MaxWorksPerScan(); works advance in lockstep.
    uint64_t multiple = 1;          // ScanMultiple(k) for every k (a GPU's wave).
    // Hang: Scan number `hang_on_scan` (0-based; -1: none) blocks, deaf to cancel, until
    // Release() (it then returns as usual) or, when `recoverable`, until Recover() (it then
    // fails, as an aborted GPU launch does).
    int hang_on_scan = -1;
    bool recoverable = false;
    // Start-up, in PerThreadFakeClock time: the first Scan takes `first_scan_delay` longer (a
    // cold GPU context or kernel), and the first `warmup_hashes` run at `warmup_rate_hps`
    // (clocks still ramping).
    absl::Duration first_scan_delay;
    uint64_t warmup_hashes = 0;
    double warmup_rate_hps = 0;
  };

  FakeDevice(std::string name, Script script, DeviceKind kind = DeviceKind::kCpu)
      : info_{std::move(name), kind, "fake"}, script_(script) {}

  const DeviceInfo& Info() const override { return info_; }
  int MaxWorksPerScan() const override { return script_.max_works; }
  uint64_t ScanMultiple(int /*works*/) const override { return script_.multiple; }

  absl::StatusOr<uint64_t> Scan(std::span<const hash::ScanWork> works, uint32_t start,
                                uint64_t count, const std::atomic<bool>* cancel,
                                std::vector<FoundNonce>* found) override {
    int call = scans_.fetch_add(1);
    if (call == script_.hang_on_scan && Hang()) {
      return absl::AbortedError("scripted hang aborted by Recover()");
    }
    if (script_.fail_always || call < script_.fail_first) {
      return absl::UnavailableError("scripted device failure");
    }
    uint64_t done = count;
    if (script_.real_delay > absl::ZeroDuration()) absl::SleepFor(script_.real_delay);
    if (script_.real_chunk > 0) {
      scanning_.store(true);
      for (done = 0; done < count && !cancel->load();) {
        absl::SleepFor(absl::Milliseconds(1));
        done = std::min(count, done + script_.real_chunk);
      }
      scanning_.store(false);
    }
    if (script_.per_thread_clock && script_.rate_hps > 0) {
      PerThreadFakeClock::Advance(ScanTime(call, done));
    }
    if (script_.share_every > 0) {
      uint64_t first = (uint64_t{start} + script_.share_every - 1) / script_.share_every *
                       script_.share_every;
      for (uint64_t n = first; n < start + done; n += script_.share_every) {
        for (uint32_t w = 0; w < works.size(); ++w) found->push_back({w, static_cast<uint32_t>(n)});
      }
    }
    absl::MutexLock lock(&mu_);
    batches_.push_back({start, done});
    for (const hash::ScanWork& w : works) scanned_.push_back({w.midstate[0], start, done});
    group_sizes_.push_back(works.size());
    return done * works.size();
  }

  // Returns every (start, hashed) pair scanned so far.
  std::vector<std::pair<uint64_t, uint64_t>> Batches() const {
    absl::MutexLock lock(&mu_);
    return batches_;
  }
  // Returns (midstate word 0, start, hashed) for every work of every Scan so far.
  struct Scanned {
    uint32_t midstate0;
    uint64_t start, hashed;
  };
  std::vector<Scanned> ScannedWorks() const {
    absl::MutexLock lock(&mu_);
    return scanned_;
  }
  // Returns the number of works of every Scan so far.
  std::vector<size_t> GroupSizes() const {
    absl::MutexLock lock(&mu_);
    return group_sizes_;
  }
  // True while a real-time Scan is running.
  bool Scanning() const { return scanning_.load(); }

  absl::Status Recover() override {
    ++recover_calls_;
    if (!script_.recoverable) return Device::Recover();
    absl::MutexLock lock(&hang_mu_);
    released_ = aborted_ = true;
    return absl::OkStatus();
  }
  // Ends the scripted hang (the Scan returns as if nothing happened).
  void Release() {
    absl::MutexLock lock(&hang_mu_);
    released_ = true;
  }
  bool Hanging() const {
    absl::MutexLock lock(&hang_mu_);
    return hanging_;
  }
  int RecoverCalls() const { return recover_calls_.load(); }

 private:
  // Returns the scripted time of Scan number `call`, which hashed `hashes` nonces per work.
  absl::Duration ScanTime(int call, uint64_t hashes) {
    const uint64_t before = hashed_.fetch_add(hashes);
    uint64_t slow = 0;
    if (script_.warmup_rate_hps > 0 && before < script_.warmup_hashes) {
      slow = std::min(hashes, script_.warmup_hashes - before);
    }
    absl::Duration t = absl::Seconds(static_cast<double>(hashes - slow) / script_.rate_hps);
    if (slow > 0) t += absl::Seconds(static_cast<double>(slow) / script_.warmup_rate_hps);
    return call == 0 ? t + script_.first_scan_delay : t;
  }

  // Blocks until Release() or Recover(); returns true when aborted by Recover().
  bool Hang() {
    absl::MutexLock lock(&hang_mu_);
    hanging_ = true;
    hang_mu_.Await(absl::Condition(&released_));
    hanging_ = false;
    return aborted_;
  }

  const DeviceInfo info_;
  const Script script_;
  mutable absl::Mutex hang_mu_;
  bool hanging_ ABSL_GUARDED_BY(hang_mu_) = false;
  bool released_ ABSL_GUARDED_BY(hang_mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(hang_mu_) = false;
  std::atomic<int> recover_calls_{0};
  std::atomic<int> scans_{0};
  std::atomic<uint64_t> hashed_{0};
  std::atomic<bool> scanning_{false};
  mutable absl::Mutex mu_;
  std::vector<std::pair<uint64_t, uint64_t>> batches_ ABSL_GUARDED_BY(mu_);
  std::vector<Scanned> scanned_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> group_sizes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_SCHEDULER_FAKE_DEVICE_H_
