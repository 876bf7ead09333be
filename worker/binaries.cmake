# Included from worker/CMakeLists.txt: the benchmark library and the synth-worker binary.
synth_library(synth_worker_benchmark
  SRCS benchmark.cc
  PUBLIC_DEPS synth_worker_devices absl::statusor
  DEPS synth_hash absl::strings absl::str_format nlohmann_json::nlohmann_json)
synth_test(benchmark_test SRCS benchmark_test.cc
  DEPS synth_worker_benchmark nlohmann_json::nlohmann_json)

synth_binary(synth-worker
  SRCS main.cc
  DEPS synth_worker_benchmark synth_hash absl::flags absl::flags_parse)
