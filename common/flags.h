// File: common/flags.h
//
// Command-line helpers shared by the binaries' thin main()s.
//
//   int main(int argc, char** argv) {
//     synth::DashesToUnderscores(argc, argv);   // --hash-core works like --hash_core
//     absl::ParseCommandLine(argc, argv);
//
// Thread-compatible: call once, from main(), before parsing.
#ifndef SYNTH_COMMON_FLAGS_H_
#define SYNTH_COMMON_FLAGS_H_

namespace synth {

// Rewrites dashes in the names of "--flag-name[=value]" arguments to underscores, in place, so
// that absl flags accept both spellings; values and positional arguments are left alone.
void DashesToUnderscores(int argc, char** argv);

}  // namespace synth

#endif  // SYNTH_COMMON_FLAGS_H_
