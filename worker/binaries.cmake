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

# The real binary, dashed flag spelling, JSON out (benchmark_test covers the library).
if(SYNTH_BUILD_TESTS)
  add_test(NAME synth_worker_benchmark_json
    COMMAND synth-worker --benchmark --json --seconds=0.2 --threads=1 --hash-core=scalar
            --devices=cpu)
  set_tests_properties(synth_worker_benchmark_json PROPERTIES LABELS unit TIMEOUT 60
    PASS_REGULAR_EXPRESSION "\"impl\":\"scalar\".*\"total_hashes_per_second\":[1-9]")
  add_test(NAME synth_worker_bad_hash_core COMMAND synth-worker --benchmark --hash-core=nope)
  set_tests_properties(synth_worker_bad_hash_core PROPERTIES LABELS unit TIMEOUT 60
    PASS_REGULAR_EXPRESSION "INVALID_ARGUMENT: unknown hash core 'nope'; known: auto,")
endif()
