// File: master/http/master_histograms.h
//
// The master's event histograms, which a snapshot cannot give: synth_lease_duration_seconds
// (seconds of work per granted lease) and synth_job_switch_seconds (clean job from the pool →
// first lease of it). Create one before the Cluster so its callbacks can observe into it, and
// hand it to StartMasterHttp (HttpOptions::histograms), which renders it in /metrics:
//
//   synth::http::MasterHistograms histograms;
//   options.on_lease_granted = [&](double s) { histograms.lease_duration().Observe(s); };
//   ...
//   hopts.histograms = &histograms;   // Must outlive the server.
//
// Without one, StartMasterHttp uses its own (exported with zero counts).
// Thread-safety: Observe is thread-safe and takes only a short internal mutex, so it may be
// called with the Cluster's mutex held.
#ifndef SYNTH_MASTER_HTTP_MASTER_HISTOGRAMS_H_
#define SYNTH_MASTER_HTTP_MASTER_HISTOGRAMS_H_

#include "common/metrics/registry.h"

namespace synth::http {

class MasterHistograms {
 public:
  MasterHistograms();
  MasterHistograms(const MasterHistograms&) = delete;
  MasterHistograms& operator=(const MasterHistograms&) = delete;

  metrics::Histogram& lease_duration() { return *lease_duration_; }
  metrics::Histogram& job_switch() { return *job_switch_; }
  // Returns the text exposition of both histograms.
  std::string Render() const { return registry_.Render(); }

 private:
  metrics::Registry registry_;
  metrics::Histogram* lease_duration_;
  metrics::Histogram* job_switch_;
};

}  // namespace synth::http

#endif  // SYNTH_MASTER_HTTP_MASTER_HISTOGRAMS_H_
