// File: common/format.h
//
// Human-readable figures shared by log lines and synthctl.
//
//   LOG(INFO) << "cluster " << FormatHashRate(101.4e6);   // "101.40 MH/s"
//
// Thread-safe: pure functions.
#ifndef SYNTH_COMMON_FORMAT_H_
#define SYNTH_COMMON_FORMAT_H_

#include <string>

namespace synth {

// Formats hashes/s with an SI prefix and two decimals, from H/s up to PH/s.
std::string FormatHashRate(double hashes_per_second);

}  // namespace synth

#endif  // SYNTH_COMMON_FORMAT_H_
