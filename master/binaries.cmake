# Included from master/CMakeLists.txt: the synth-master binary (a thin main over
# master/service). synthctl lives in ctl/.
synth_library(synth_master_upstream
  SRCS service/stratum_upstream.cc
  PUBLIC_DEPS synth_master_jobs absl::statusor
  DEPS absl::strings)

synth_binary(synth-master
  SRCS main.cc
  DEPS synth_master_service synth_master_upstream synth_common_base absl::flags
       absl::flags_parse absl::strings)
