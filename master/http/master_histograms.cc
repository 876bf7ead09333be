#include "master/http/master_histograms.h"

namespace synth::http {

MasterHistograms::MasterHistograms()
    : lease_duration_(&registry_
                           .AddHistogram("synth_lease_duration_seconds",
                                         "Seconds of work per granted lease", {},
                                         {0.25, 0.5, 1, 2, 5, 10, 20, 30, 60})
                           .WithLabels({})),
      job_switch_(&registry_
                       .AddHistogram("synth_job_switch_seconds",
                                     "Clean job notified by the pool to its first lease", {},
                                     metrics::ExponentialBuckets(0.001, 2, 14))
                       .WithLabels({})) {}

}  // namespace synth::http
