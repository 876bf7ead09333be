#include "tests/tuning/startup_sim.h"

#include <deque>
#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "worker/scheduler/telemetry_window.h"

namespace synth::tuning {
namespace {

constexpr double kCpuHps = 28.3e6;
constexpr double kGpuHps = 9651e6;
constexpr double kGpuCalibrationHps = 8420e6;  // One midstate: the calibration's work.

class WindowReport : public lease::SimReport {
 public:
  explicit WindowReport(bool send_busy) : send_busy_(send_busy) {}
  void OnBatch(double hashes, double seconds) override {
    window_.Add({.hashes = static_cast<uint64_t>(hashes), .latency = absl::Seconds(seconds)});
  }
  double Rate() const override { return window_.Rate(); }
  double BusySeconds() const override { return send_busy_ ? window_.Summary().busy_s : 0; }

 private:
  bool send_busy_;
  worker::TelemetryWindow window_;
};

class Last30Report : public lease::SimReport {
 public:
  void OnBatch(double hashes, double seconds) override {
    batches_.emplace_back(hashes, seconds);
    hashes_ += hashes;
    seconds_ += seconds;
    if (batches_.size() > 30) {
      hashes_ -= batches_.front().first;
      seconds_ -= batches_.front().second;
      batches_.pop_front();
    }
  }
  double Rate() const override { return seconds_ > 0 ? hashes_ / seconds_ : 0; }

 private:
  std::deque<std::pair<double, double>> batches_;
  double hashes_ = 0, seconds_ = 0;
};

}  // namespace

const char* ReportKindName(ReportKind kind) {
  switch (kind) {
    case ReportKind::kTelemetryWindow:
      return "TelemetryWindow + busy time";
    case ReportKind::kWindowNoBusy:
      return "TelemetryWindow, averaged only (before)";
    case ReportKind::kLast30Batches:
      break;
  }
  return "last 30 batches (before)";
}

std::vector<StartScenario> StartScenarios() {
  return {
      {"no slow start", {}},
      {"first batch 0.5 s cold", {.cold_s = 0.5}},
      {"0.5 s cold, then 2 s at 70%", {.cold_s = 0.5, .slow_s = 2, .slow_factor = 0.7}},
      {"0.5 s cold, then 2 s at 70%, 1 s batches",
       {.cold_s = 0.5, .slow_s = 2, .slow_factor = 0.7, .batch_s = 1}},
  };
}

lease::ConvergenceOptions StartOptions(const StartScenario& scenario, ReportKind report,
                                       uint64_t seed) {
  lease::ConvergenceOptions o;
  lease::SimWorker gpu{"gpu", kGpuHps, 0, kGpuCalibrationHps / kGpuHps - 1};
  gpu.start = scenario.start;
  if (report != ReportKind::kLast30Batches) {
    const bool busy = report == ReportKind::kTelemetryWindow;
    gpu.report = [busy] { return std::make_unique<WindowReport>(busy); };
  } else {
    gpu.report = [] { return std::make_unique<Last30Report>(); };
  }
  o.workers = {{"cpu", kCpuHps}, gpu};
  o.share_difficulty = 2;
  o.warmup_s = 60;
  o.run_s = 60;
  o.seed = seed;
  return o;
}

}  // namespace synth::tuning
