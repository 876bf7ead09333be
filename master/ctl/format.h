// File: master/ctl/format.h
//
// Human-readable renderings of ControlService responses for synthctl.
//
//   std::printf("%s", FormatStatus(status_response).c_str());
//
// Thread-safe: pure functions.
#ifndef SYNTH_MASTER_CTL_FORMAT_H_
#define SYNTH_MASTER_CTL_FORMAT_H_

#include <string>

#include "synth/v1/control.pb.h"

namespace synth::ctl {

// Returns the multi-line cluster summary.
std::string FormatStatus(const v1::StatusResponse& s);
// Returns one line per worker and one per device.
std::string FormatWorkers(const v1::WorkersResponse& w);
// Returns the share ledger totals.
std::string FormatShares(const v1::SharesResponse& s);

}  // namespace synth::ctl

#endif  // SYNTH_MASTER_CTL_FORMAT_H_
