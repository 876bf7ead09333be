#include "worker/scheduler/scheduler.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace synth::worker {

const char* UnitStateName(UnitState state) {
  switch (state) {
    case UnitState::kCompleted:
      return "completed";
    case UnitState::kCancelled:
      return "cancelled";
    case UnitState::kReturned:
      return "returned";
  }
  return "unknown";
}

// A live unit: its nonces not yet handed out, and its batches in flight.
struct Scheduler::Unit {
  WorkUnit unit;
  std::deque<std::pair<uint64_t, uint64_t>> todo;  // [begin, end) ranges, ascending.
  int in_flight = 0;
  uint64_t hashes_done = 0;
  bool queued = false;
  bool cancelled = false;
  bool returned = false;  // Given back by the watchdog while a hung Scan still holds it.
};

// One device and its thread. `device` and `cancel` are used by the device thread without the
// lock; everything else is guarded by Scheduler::mu_.
struct Scheduler::Slot {
  std::unique_ptr<Device> device;
  std::thread thread;
  std::atomic<bool> cancel{false};
  size_t max_works = 1;          // Device::MaxWorksPerScan() rounded down to a power of two.
  std::vector<uint64_t> multiple;  // Device::ScanMultiple(k), k = 0..max_works.
  std::vector<Unit*> current;    // Units of the Scan in flight.
  TelemetryWindow window;
  uint64_t batch = 0;
  uint64_t hashes_total = 0, shares_total = 0, errors_total = 0;
  absl::Duration idle;
  int consecutive_errors = 0;
  bool disabled = false;
  std::atomic<bool> abandoned{false};  // Hung at Stop(): its thread was detached.
  std::atomic<bool> loop_done{false};  // Its thread has left DeviceLoop.
};

Scheduler::Scheduler(std::vector<std::unique_ptr<Device>> devices, SchedulerOptions options,
                     SchedulerCallbacks callbacks)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      clock_(options_.clock ? options_.clock : RealClock::Get()) {
  for (auto& device : devices) {
    auto slot = std::make_unique<Slot>();
    bool cuda = device->Info().kind == DeviceKind::kCuda;
    slot->batch = std::clamp(cuda ? options_.initial_cuda_batch : options_.initial_cpu_batch,
                             options_.min_batch, options_.max_batch);
    while (slot->max_works * 2 <= static_cast<size_t>(std::max(1, device->MaxWorksPerScan()))) {
      slot->max_works *= 2;
    }
    slot->multiple.assign(slot->max_works + 1, 1);
    for (size_t k = 1; k <= slot->max_works; k *= 2) {
      slot->multiple[k] = std::max<uint64_t>(1, device->ScanMultiple(static_cast<int>(k)));
    }
    slot->device = std::move(device);
    slots_.push_back(std::move(slot));
  }
  WatchdogOptions dog = options_.watchdog;
  if (dog.clock == nullptr) dog.clock = clock_;
  auto lost = [this](size_t i, const std::string& why) {
    LOG(ERROR) << "device " << slots_[i]->device->Info().name << " lost: " << why;
    if (callbacks_.on_device_lost) callbacks_.on_device_lost(slots_[i]->device->Info().name, why);
  };
  watchdog_ = std::make_unique<Watchdog>(
      dog, slots_.size(), WatchdogCallbacks{[this](size_t i) { OnHung(i); }, std::move(lost)});
}

Scheduler::~Scheduler() {
  Stop();
  for (auto& slot : slots_) {
    if (!slot->abandoned.load()) continue;
    // A hung thread that came back is let finish; one still stuck keeps its slot to the
    // process's exit, which is near (kExitDeviceLost).
    absl::Time give_up = absl::Now() + absl::Milliseconds(100);
    while (!slot->loop_done.load() && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(1));
    if (!slot->loop_done.load()) (void)slot.release();
  }
}

void Scheduler::Start() {
  absl::MutexLock lock(&mu_);
  CHECK(!started_) << "Scheduler::Start called twice";
  started_ = true;
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i]->thread = std::thread([this, i] { DeviceLoop(i); });
  }
  watchdog_->Start();
}

void Scheduler::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& slot : slots_) slot->cancel.store(true);
    work_cv_.SignalAll();
  }
  watchdog_->Stop();
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i]->thread.joinable()) continue;
    if (watchdog_->Hung(i)) {
      // Stuck in its device: not waited for; the destructor leaves the slot to the process.
      slots_[i]->thread.detach();
      slots_[i]->abandoned.store(true);
      continue;
    }
    slots_[i]->thread.join();
  }
  std::vector<UnitOutcome> out;
  {
    absl::MutexLock lock(&mu_);
    while (!units_.empty()) {
      Unit* unit = units_.begin()->second.get();
      EndUnitLocked(unit, unit->cancelled ? UnitState::kCancelled : UnitState::kReturned, &out);
    }
  }
  Deliver(std::move(out));
}

void Scheduler::AddCalibration(size_t device_index, uint64_t hashes, absl::Duration latency) {
  absl::MutexLock lock(&mu_);
  if (device_index >= slots_.size() || hashes == 0 || latency <= absl::ZeroDuration()) return;
  Slot& slot = *slots_[device_index];
  slot.window.Add({.hashes = hashes, .latency = latency});
  // Jump straight to the target size: the calibration measured the rate directly.
  slot.batch = NextBatchSize({.target = options_.target_batch_latency,
                              .min_batch = options_.min_batch,
                              .max_batch = options_.max_batch,
                              .max_growth = uint64_t{1} << 32},
                             slot.window.Rate(), slot.batch);
}

absl::Status Scheduler::AddUnits(std::vector<WorkUnit> units) {
  std::vector<std::string> bad;
  absl::MutexLock lock(&mu_);
  for (WorkUnit& wu : units) {
    uint64_t end = uint64_t{wu.nonce_start} + wu.nonce_count;
    if (wu.work == nullptr || wu.nonce_count == 0 || end > (uint64_t{1} << 32) ||
        units_.contains(wu.unit_id) || stopping_) {
      bad.push_back(absl::StrCat(wu.unit_id));
      continue;
    }
    auto unit = std::make_unique<Unit>();
    unit->todo.emplace_back(wu.nonce_start, end);
    unit->queued = true;
    queued_nonces_ += wu.nonce_count;
    unit->unit = std::move(wu);
    queue_.push_back(unit.get());
    units_[unit->unit.unit_id] = std::move(unit);
  }
  work_cv_.SignalAll();
  if (bad.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("rejected work units (no midstate, empty or out-of-range nonces, duplicate "
                   "id, or scheduler stopped): ",
                   absl::StrJoin(bad, ",")));
}

namespace {

// CPU hashing threads run at the lowest priority (nice 19), as miners' do: they would otherwise
// take the scheduler's time slices from the threads that carry cancels and shares (gRPC, the
// master and pool on a shared host), and every share or job switch would wait for a tick.
void LowerHashingThreadPriority(const std::string& device) {
  pid_t tid = static_cast<pid_t>(syscall(SYS_gettid));
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 19) != 0) {
    LOG(WARNING) << device << ": could not lower the hashing thread's priority";
  }
}

}  // namespace

void Scheduler::DeviceLoop(size_t index) {
  Slot& slot = *slots_[index];
  if (slot.device->Info().kind == DeviceKind::kCpu) {
    LowerHashingThreadPriority(slot.device->Info().name);
  }
  std::vector<FoundNonce> found;
  Chunk chunk;
  while (NextChunk(index, &chunk)) {
    if (chunk.new_job && callbacks_.on_job_started) {
      callbacks_.on_job_started(chunk.units[0]->unit.job_id, slot.device->Info().name,
                                clock_->Now());
    }
    found.clear();
    absl::Time t0 = clock_->Now();
    if (chunk.low_water && callbacks_.on_low_water) callbacks_.on_low_water();
    watchdog_->BatchStarted(index, chunk.expected);
    absl::StatusOr<uint64_t> done =
        slot.device->Scan(chunk.works, static_cast<uint32_t>(chunk.begin),
                          chunk.end - chunk.begin, &slot.cancel, &found);
    // Stop() gave up on this thread while it hung: the scheduler may be gone, the slot is not.
    if (slot.abandoned.load()) break;
    absl::Duration latency = clock_->Now() - t0;
    if (watchdog_->BatchEnded(index)) {
      LOG(WARNING) << "device " << slot.device->Info().name << " is back after a hang ("
                   << latency << "): " << (done.ok() ? "OK" : done.status().ToString());
    }
    bool bad_nonce = false;
    EmitShares(index, chunk, found, &bad_nonce);
    if (FinishChunk(index, chunk, done, latency, bad_nonce)) {
      absl::MutexLock lock(&mu_);
      work_cv_.WaitWithTimeout(&mu_, options_.error_backoff);
    }
  }
  slot.loop_done.store(true);
}

bool Scheduler::NextChunk(size_t index, Chunk* chunk) {
  Slot& slot = *slots_[index];
  absl::MutexLock lock(&mu_);
  absl::Time idle_from = clock_->Now();
  while (!stopping_ && (queue_.empty() || slot.disabled)) work_cv_.Wait(&mu_);
  slot.idle += clock_->Now() - idle_from;
  if (stopping_) return false;
  Unit* unit = queue_.front();
  const uint64_t begin = unit->todo.front().first;
  uint64_t end = unit->todo.front().second;
  chunk->units.assign(1, unit);
  if (slot.max_works > 1) {
    // Siblings: queued units of the same job whose next range starts at the same nonce and whose
    // work differs only in the midstate (the master cuts version-rolled midstates in such rows).
    const hash::ScanWork& w = *unit->unit.work;
    size_t looked = 0;
    for (Unit* other : queue_) {
      if (chunk->units.size() == slot.max_works || ++looked > 64) break;
      if (other == unit || other->todo.front().first != begin ||
          other->unit.job_id != unit->unit.job_id || other->unit.work->tail != w.tail ||
          other->unit.work->target != w.target) {
        continue;
      }
      chunk->units.push_back(other);
    }
    size_t k = 1;
    while (k * 2 <= chunk->units.size()) k *= 2;  // The device's lockstep sizes.
    chunk->units.resize(k);
    for (Unit* u : chunk->units) end = std::min(end, u->todo.front().second);
  }
  const uint64_t k = chunk->units.size();
  // slot.batch counts hashes: k works of n nonces take about as long as one of k * n.
  uint64_t n = std::min(std::max<uint64_t>(1, slot.batch / k), end - begin);
  // In whole multiples of the device's preferred size (a GPU's wave), unless the range ends first.
  if (const uint64_t m = slot.multiple[k]; m > 1 && n >= m && n < end - begin) n -= n % m;
  chunk->begin = begin;
  chunk->end = begin + n;
  chunk->new_job = false;
  const double rate = slot.window.Rate();
  chunk->expected = rate > 0 ? absl::Seconds(static_cast<double>(n * k) / rate)
                             : options_.target_batch_latency;
  chunk->works.clear();
  for (Unit* u : chunk->units) {
    chunk->works.push_back(*u->unit.work);
    auto& front = u->todo.front();
    front.first += n;
    queued_nonces_ -= n;
    if (front.first == front.second) u->todo.pop_front();
    if (u->todo.empty()) {
      u->queued = false;
      queue_.erase(std::find(queue_.begin(), queue_.end(), u));
    }
    ++u->in_flight;
  }
  if (std::find(recent_jobs_.begin(), recent_jobs_.end(), unit->unit.job_id) ==
      recent_jobs_.end()) {
    chunk->new_job = true;
    recent_jobs_.push_back(unit->unit.job_id);
    if (recent_jobs_.size() > 64) recent_jobs_.pop_front();
  }
  slot.current = chunk->units;
  slot.cancel.store(false);
  chunk->low_water = BelowLowWaterLocked();
  return true;
}

bool Scheduler::BelowLowWaterLocked() const {
  if (low_water_ <= absl::ZeroDuration()) return false;
  if (queued_nonces_ == 0) return true;
  double rate = RateLocked();
  return rate > 0 && static_cast<double>(queued_nonces_) < rate * absl::ToDoubleSeconds(low_water_);
}

void Scheduler::SetLowWater(absl::Duration buffered) {
  absl::MutexLock lock(&mu_);
  low_water_ = buffered;
}

void Scheduler::EmitShares(size_t index, const Chunk& chunk,
                           const std::vector<FoundNonce>& found, bool* bad_nonce) {
  // The units are immutable while the chunk is in flight.
  const std::string& name = slots_[index]->device->Info().name;
  for (const FoundNonce& f : found) {
    if (f.work_index >= chunk.units.size() || f.nonce < chunk.begin || f.nonce >= chunk.end ||
        (options_.verify_shares &&
         !hash::MeetsTarget(hash::HashNonce(chunk.works[f.work_index], f.nonce),
                            chunk.works[f.work_index].target))) {
      LOG(WARNING) << "device " << name << " reported nonce " << f.nonce << " of work "
                   << f.work_index << " (unit "
                   << chunk.units[std::min<size_t>(f.work_index, chunk.units.size() - 1)]
                          ->unit.unit_id
                   << ") that does not meet the target; counted as an error";
      *bad_nonce = true;
      absl::MutexLock lock(&mu_);
      ++slots_[index]->errors_total;
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      ++slots_[index]->shares_total;
    }
    if (callbacks_.on_share) {
      const WorkUnit& wu = chunk.units[f.work_index]->unit;
      callbacks_.on_share(FoundShare{wu.unit_id, wu.job_id, wu.midstate_id, f.nonce, name,
                                     clock_->Now()});
    }
  }
}

bool Scheduler::FinishChunk(size_t index, const Chunk& chunk,
                            const absl::StatusOr<uint64_t>& done, absl::Duration latency,
                            bool bad_nonce) {
  Slot& slot = *slots_[index];
  std::vector<UnitOutcome> out;
  bool back_off = false, disabled_now = false;
  {
    absl::MutexLock lock(&mu_);
    slot.current.clear();
    const uint64_t k = chunk.units.size();
    const uint64_t n = chunk.end - chunk.begin;
    const uint64_t hashed = done.ok() ? std::min(*done, n * k) : 0;
    const uint64_t nonces = hashed / k;  // Per unit: the works advance in lockstep.
    slot.hashes_total += hashed;
    // A Scan that stops early without being cancelled is a device fault, like an error.
    bool short_scan = done.ok() && hashed < n * k && !slot.cancel.load();
    slot.window.Add({.hashes = hashed,
                     .latency = latency,
                     .error = !done.ok() || short_scan || bad_nonce});
    if (done.ok() && !short_scan) {
      slot.consecutive_errors = 0;
      // Size from this batch when it ran to completion, else keep the current size.
      if (hashed == n * k) {
        slot.batch = NextBatchSize({.target = options_.target_batch_latency,
                                    .min_batch = options_.min_batch,
                                    .max_batch = options_.max_batch},
                                   slot.window.Rate(), slot.batch);
      }
    } else {
      ++slot.errors_total;
      back_off = true;
      LOG(WARNING) << "device " << slot.device->Info().name << " failed: "
                   << (short_scan ? absl::InternalError("returned early, not cancelled")
                                  : done.status());
      if (++slot.consecutive_errors >= options_.max_consecutive_errors && !slot.disabled) {
        slot.disabled = disabled_now = true;
        LOG(ERROR) << "device " << slot.device->Info().name << " disabled after "
                   << slot.consecutive_errors << " consecutive errors";
      }
    }
    // In reverse, so that re-queued units keep their order at the queue's front.
    for (auto it = chunk.units.rbegin(); it != chunk.units.rend(); ++it) {
      Unit* unit = *it;
      --unit->in_flight;
      unit->hashes_done += nonces;
      uint64_t rest_begin = chunk.begin + nonces;
      if (rest_begin < chunk.end && !unit->cancelled && !stopping_) {
        // Interrupted or failed: the unhashed tail goes back to the front of the queue.
        unit->todo.emplace_front(rest_begin, chunk.end);
        queued_nonces_ += chunk.end - rest_begin;
        if (!unit->queued) {
          unit->queued = true;
          queue_.push_front(unit);
        }
        work_cv_.SignalAll();
      }
      if (unit->in_flight == 0 && unit->todo.empty()) {
        EndUnitLocked(unit,
                      unit->cancelled ? UnitState::kCancelled : UnitState::kCompleted, &out);
      }
    }
  }
  Deliver(std::move(out));
  if (disabled_now) watchdog_->DeviceDisabled(index);
  return back_off;
}

void Scheduler::EndUnitLocked(Unit* unit, UnitState state, std::vector<UnitOutcome>* out) {
  if (!unit->returned) {  // A returned unit's outcome went out when it was returned.
    out->push_back(UnitOutcome{unit->unit.unit_id, unit->unit.job_id, state, unit->hashes_done});
  }
  for (auto& [begin, end] : unit->todo) queued_nonces_ -= end - begin;
  if (unit->queued) queue_.erase(std::find(queue_.begin(), queue_.end(), unit));
  units_.erase(unit->unit.unit_id);
}

void Scheduler::Deliver(std::vector<UnitOutcome> outcomes) {
  if (!callbacks_.on_unit_done) return;
  for (UnitOutcome& o : outcomes) callbacks_.on_unit_done(std::move(o));
}

int Scheduler::CancelMatching(const std::function<bool(const Unit&)>& match) {
  std::vector<UnitOutcome> out;
  int cancelled = 0;
  bool low_water = false;
  {
    absl::MutexLock lock(&mu_);
    std::vector<Unit*> hits;
    for (auto& [id, unit] : units_) {
      if (!unit->cancelled && match(*unit)) hits.push_back(unit.get());
    }
    for (Unit* unit : hits) {
      ++cancelled;
      unit->cancelled = true;
      if (unit->in_flight == 0) {
        EndUnitLocked(unit, UnitState::kCancelled, &out);
        continue;
      }
      StopHashingLocked(unit);
    }
    low_water = cancelled > 0 && BelowLowWaterLocked();
  }
  Deliver(std::move(out));
  if (low_water && callbacks_.on_low_water) callbacks_.on_low_water();
  return cancelled;
}

void Scheduler::StopHashingLocked(Unit* unit) {
  for (auto& [begin, end] : unit->todo) queued_nonces_ -= end - begin;
  unit->todo.clear();
  if (unit->queued) {
    unit->queued = false;
    queue_.erase(std::find(queue_.begin(), queue_.end(), unit));
  }
  for (auto& slot : slots_) {
    if (std::find(slot->current.begin(), slot->current.end(), unit) != slot->current.end()) {
      slot->cancel.store(true);
    }
  }
}

int Scheduler::CancelJobs(const std::vector<std::string>& job_ids) {
  absl::flat_hash_set<std::string> jobs(job_ids.begin(), job_ids.end());
  return CancelMatching([&](const Unit& u) { return jobs.contains(u.unit.job_id); });
}

int Scheduler::CancelUnits(const std::vector<uint64_t>& unit_ids) {
  absl::flat_hash_set<uint64_t> ids(unit_ids.begin(), unit_ids.end());
  return CancelMatching([&](const Unit& u) { return ids.contains(u.unit.unit_id); });
}

int Scheduler::CancelAll() {
  return CancelMatching([](const Unit&) { return true; });
}

void Scheduler::OnHung(size_t index) {
  Slot& slot = *slots_[index];
  std::vector<UnitOutcome> out;
  bool low_water = false;
  {
    absl::MutexLock lock(&mu_);
    for (Unit* unit : slot.current) {
      if (unit->returned) continue;
      // Its nonces may be half hashed on this device: the master re-leases the whole unit. Other
      // devices' chunks of it are cancelled; the record lives until every chunk is back.
      unit->returned = unit->cancelled = true;
      out.push_back(UnitOutcome{unit->unit.unit_id, unit->unit.job_id, UnitState::kReturned,
                                unit->hashes_done});
      StopHashingLocked(unit);
    }
    low_water = !out.empty() && BelowLowWaterLocked();  // As after a cancel.
  }
  LOG(WARNING) << "device " << slot.device->Info().name << " hung: a batch is far past its "
               << "expected time; " << out.size() << " unit(s) returned to the master";
  Deliver(std::move(out));
  if (low_water && callbacks_.on_low_water) callbacks_.on_low_water();
  if (absl::Status s = slot.device->Recover(); !s.ok()) {
    LOG(WARNING) << "device " << slot.device->Info().name << ": " << s.message();
  }
}

uint64_t Scheduler::QueuedHashes() const {
  absl::MutexLock lock(&mu_);
  return queued_nonces_;
}

double Scheduler::Rate() const {
  absl::MutexLock lock(&mu_);
  return RateLocked();
}

double Scheduler::RateLocked() const {
  double rate = 0;
  for (const auto& slot : slots_) {
    if (!slot->disabled) rate += slot->window.Rate();
  }
  return rate;
}

absl::Duration Scheduler::BufferedTime() const {
  uint64_t queued = QueuedHashes();
  if (queued == 0) return absl::ZeroDuration();
  double rate = Rate();
  if (rate <= 0) return absl::InfiniteDuration();
  return absl::Seconds(static_cast<double>(queued) / rate);
}

size_t Scheduler::LiveUnits() const {
  absl::MutexLock lock(&mu_);
  return units_.size();
}

std::vector<DeviceStats> Scheduler::Stats() const {
  std::vector<DeviceStats> out;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& slot : slots_) {
      out.push_back(DeviceStats{slot->device->Info(), slot->window.Summary(), slot->batch,
                                slot->hashes_total, slot->shares_total, slot->errors_total,
                                absl::ToDoubleSeconds(slot->idle), slot->disabled});
    }
  }
  // Hardware readings (NVML for a GPU) can take milliseconds: read outside mu_, which every
  // device thread needs for its next batch. slots_ and the devices are constant after
  // construction, and Device::Telemetry may be called from any thread. The watchdog has its
  // own lock (never taken with mu_ held here).
  for (size_t i = 0; i < slots_.size(); ++i) {
    out[i].hardware = slots_[i]->device->Telemetry();
    out[i].hung = watchdog_->Hung(i);
    out[i].hangs = watchdog_->Hangs(i);
  }
  return out;
}

}  // namespace synth::worker
