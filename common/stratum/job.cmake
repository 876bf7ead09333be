# The validated mining.notify job model.
synth_library(synth_stratum_job
  SRCS job.cc
  PUBLIC_DEPS synth_bitcoin nlohmann_json::nlohmann_json)

synth_test(stratum_job_test
  SRCS job_test.cc
  DEPS synth_stratum_job)
