#include "master/lease/tuning.h"

#include <algorithm>
#include <cmath>

#include "common/logging.h"

namespace synth::lease {
namespace {

constexpr double kTwo32 = 4294967296.0;
// A report is judged by its shares only once this many are expected in the window...
constexpr double kMinExpectedShares = 20;
// ...and found wrong when the count is this many standard deviations (sqrt(expected)) off.
constexpr double kSigmas = 4;

}  // namespace

Tuning::Tuning(Options options, const Clock* clock) : options_(options), clock_(clock) {}

void Tuning::AddWorker(uint64_t worker, std::vector<DeviceRecord> devices) {
  WorkerRecord& w = workers_[worker];
  w.since = clock_->Now();
  w.devices.clear();
  for (DeviceRecord& d : devices) {
    d.reported_rate_hps = d.benchmarked_rate_hps;
    std::string name = d.name;
    w.devices[name] = std::move(d);
  }
}

void Tuning::RemoveWorker(uint64_t worker) { workers_.erase(worker); }

DeviceRecord* Tuning::FindOrAddDevice(uint64_t worker, const std::string& device) {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return nullptr;
  DeviceRecord& d = it->second.devices[device];
  d.name = device;
  return &d;
}

void Tuning::OnTelemetry(uint64_t worker, const std::string& device, double rate_hps,
                         double batch_latency_ms, double window_busy_s) {
  DeviceRecord* found = FindOrAddDevice(worker, device);
  if (found == nullptr) return;
  DeviceRecord& d = *found;
  const double rate = std::isfinite(rate_hps) ? std::max(0.0, rate_hps) : 0;
  const double busy = std::isfinite(window_busy_s) ? std::max(0.0, window_busy_s) : 0;
  const absl::Time now = clock_->Now();
  const double dt = absl::ToDoubleSeconds(now - d.reported_at);  // +inf for the first report.
  const double tau = absl::ToDoubleSeconds(options_.smoothing);
  // A window that grew well past every earlier one (a young device) outweighs their average;
  // 0 (unknown) never grows past anything.
  const bool grown = busy > d.reported_busy_s * options_.young_growth;
  const double alpha = tau > 0 && !grown ? 1 - std::exp(-dt / tau) : 1;
  d.reported_rate_hps += alpha * (rate - d.reported_rate_hps);
  d.reported_busy_s = std::max(d.reported_busy_s, busy);
  d.reported_at = now;
  d.batch_latency_ms = batch_latency_ms;
}

void Tuning::OnDeviceHealth(uint64_t worker, const std::string& device, bool hung,
                            uint64_t hangs) {
  DeviceRecord* found = FindOrAddDevice(worker, device);
  if (found == nullptr) return;
  DeviceRecord& d = *found;
  if (hung && !d.hung) LOG(WARNING) << "worker " << worker << " device " << device << " hung";
  d.hung = hung;
  d.hangs = hangs;
}

void Tuning::OnShare(uint64_t worker, const std::string& device, bool valid, double difficulty) {
  DeviceRecord* found = FindOrAddDevice(worker, device);
  if (found == nullptr) return;
  DeviceRecord& d = *found;
  if (valid) {
    ++d.shares_valid;
    workers_[worker].last_difficulty = difficulty;
    last_difficulty_[d.kind] = difficulty;
    d.verified.emplace_back(clock_->Now(), difficulty);
    Trim(d);
  } else {
    ++d.hardware_errors;
  }
  uint64_t total = d.shares_valid + d.hardware_errors;
  bool flag = total >= options_.min_shares_to_flag &&
              static_cast<double>(d.hardware_errors) > options_.hw_error_limit * total;
  if (flag != d.flagged) {
    LOG(WARNING) << "worker " << worker << " device " << device << (flag ? " flagged" : " cleared")
                 << ": " << d.hardware_errors << " hardware errors in " << total << " shares";
    d.flagged = flag;
  }
}

void Tuning::Trim(DeviceRecord& d) const {
  absl::Time cutoff = clock_->Now() - options_.window;
  while (!d.verified.empty() && d.verified.front().first < cutoff) d.verified.pop_front();
}

double Tuning::ReportedRate(uint64_t worker) const {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return 0;
  double sum = 0;
  for (const auto& [name, d] : it->second.devices) sum += d.reported_rate_hps;
  return sum;
}

double Tuning::VerifiedRateOf(const WorkerRecord& w) const {
  absl::Time now = clock_->Now();
  absl::Time cutoff = now - options_.window;
  double diff = 0;
  for (const auto& [name, d] : w.devices) {
    for (const auto& [t, difficulty] : d.verified) {
      if (t >= cutoff) diff += difficulty;
    }
  }
  // Over the window, or since the worker joined when that is shorter.
  double seconds = absl::ToDoubleSeconds(now - std::max(cutoff, w.since));
  return seconds > 0 ? diff * kTwo32 / seconds : 0;
}

double Tuning::VerifiedRate(uint64_t worker) const {
  auto it = workers_.find(worker);
  return it == workers_.end() ? 0 : VerifiedRateOf(it->second);
}

double Tuning::SizingRate(uint64_t worker) const {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return 0;
  double ok = 0, all = 0;
  for (const auto& [name, d] : it->second.devices) {
    all += d.reported_rate_hps;
    if (!d.flagged) ok += d.reported_rate_hps;
  }
  return ok > 0 ? ok : 0.1 * all;
}

double Tuning::CreditedRateOf(const WorkerRecord& w) const {
  const absl::Time now = clock_->Now();
  const absl::Time from = std::max(now - options_.window, w.since);
  const double seconds = absl::ToDoubleSeconds(now - from);
  double reported = 0, shares = 0, difficulty = 0;
  for (const auto& [name, d] : w.devices) {
    reported += d.reported_rate_hps;
    for (const auto& [t, diff] : d.verified) {
      if (t < from) continue;
      shares += 1;
      difficulty += diff;
    }
  }
  const double mean_difficulty = shares > 0 ? difficulty / shares : FallbackDifficulty(w);
  if (seconds <= 0 || mean_difficulty <= 0) return reported;
  const double expected = reported * seconds / (mean_difficulty * kTwo32);
  if (expected < kMinExpectedShares) return reported;
  if (std::abs(shares - expected) <= kSigmas * std::sqrt(expected)) return reported;
  return difficulty * kTwo32 / seconds;
}

double Tuning::FallbackDifficulty(const WorkerRecord& w) const {
  if (w.last_difficulty > 0) return w.last_difficulty;
  for (const auto& [name, d] : w.devices) {
    auto it = last_difficulty_.find(d.kind);
    if (it != last_difficulty_.end()) return it->second;
  }
  return 0;
}

double Tuning::CreditedRate(uint64_t worker) const {
  auto it = workers_.find(worker);
  return it == workers_.end() ? 0 : CreditedRateOf(it->second);
}

double Tuning::WorkRatio(uint64_t worker) const {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return 0;
  double total = 0;
  for (const auto& [id, w] : workers_) total += CreditedRateOf(w);
  return total > 0 ? CreditedRateOf(it->second) / total : 0;
}

bool Tuning::Flagged(uint64_t worker) const {
  auto it = workers_.find(worker);
  if (it == workers_.end()) return false;
  for (const auto& [name, d] : it->second.devices) {
    if (d.flagged) return true;
  }
  return false;
}

double Tuning::ClusterReportedRate() const {
  double sum = 0;
  for (const auto& [id, w] : workers_) sum += ReportedRate(id);
  return sum;
}

double Tuning::ClusterVerifiedRate() const {
  double sum = 0;
  for (const auto& [id, w] : workers_) sum += VerifiedRateOf(w);
  return sum;
}

std::vector<DeviceRecord> Tuning::Devices(uint64_t worker) const {
  std::vector<DeviceRecord> out;
  auto it = workers_.find(worker);
  if (it == workers_.end()) return out;
  for (const auto& [name, d] : it->second.devices) out.push_back(d);
  return out;
}

}  // namespace synth::lease
