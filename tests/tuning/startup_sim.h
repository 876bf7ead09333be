// File: tests/tuning/startup_sim.h
//
// How long after a GPU joins a CPU worker the master's work ratios settle, when the GPU starts
// slowly: master/lease/convergence.h's simulation of the master's Tuning, with the joining
// worker's reports coming from the worker's own TelemetryWindow
// (worker/scheduler/telemetry_window.h) fed the batches of a device that starts slowly
// (lease::SimStart). It lives in tests/ because it joins master/ and worker/ code, which never
// depend on each other. docs/BENCHMARKS.md "Tuning convergence" has the figures.
//
// The pair is the one measured on the GPU machine: a 1-thread CPU worker (28.3 MH/s) that has
// run for a minute, and a GPU (9,651 MH/s with version rolling) whose Hello carries its
// calibration on one midstate (8,420 MH/s); pool difficulty 2. How the GPU starts (a cold first
// batch, slower clocks) is assumed: each scenario names its own.
//
//   for (const StartScenario& s : StartScenarios()) {
//     lease::ConvergenceResult r =
//         lease::SimulateConvergence(StartOptions(s, ReportKind::kTelemetryWindow, /*seed=*/1));
//   }
//
// Deterministic for a seed; thread-compatible.
#ifndef SYNTH_TESTS_TUNING_STARTUP_SIM_H_
#define SYNTH_TESTS_TUNING_STARTUP_SIM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "master/lease/convergence.h"

namespace synth::tuning {

// Which window the joining worker reports from.
enum class ReportKind {
  kTelemetryWindow,  // The worker's TelemetryWindow, with its busy time (window_busy_s).
  kWindowNoBusy,     // The same rates without the busy time: the master only averages them,
                     // as it did before it read window_busy_s (a baseline).
  kLast30Batches,    // Its last 30 batches, as the worker's window was before (a baseline).
};

const char* ReportKindName(ReportKind kind);

struct StartScenario {
  std::string name;
  lease::SimStart start;
};

// The device starts the benchmark and the tests run: none, a cold first batch, slow clocks,
// long batches.
std::vector<StartScenario> StartScenarios();

// The simulation of `scenario` with the joiner reporting from `report`; 60 s after the join.
lease::ConvergenceOptions StartOptions(const StartScenario& scenario, ReportKind report,
                                       uint64_t seed);

}  // namespace synth::tuning

#endif  // SYNTH_TESTS_TUNING_STARTUP_SIM_H_
