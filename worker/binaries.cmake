# Included from worker/CMakeLists.txt: the benchmark library and the synth-worker binary.
synth_library(synth_worker_benchmark
  SRCS benchmark.cc
  PUBLIC_DEPS synth_worker_devices absl::statusor
  DEPS synth_hash absl::strings absl::str_format nlohmann_json::nlohmann_json)
synth_test(benchmark_test SRCS benchmark_test.cc
  DEPS synth_worker_benchmark nlohmann_json::nlohmann_json)

# synth-worker replay FILE: one pool job mined offline.
synth_library(synth_worker_replay
  SRCS replay.cc
  PUBLIC_DEPS absl::status
  DEPS synth_stratum_job synth_bitcoin synth_hash nlohmann_json::nlohmann_json)
synth_test(replay_test SRCS replay_test.cc
  DEPS synth_worker_replay synth_stratum_job synth_bitcoin nlohmann_json::nlohmann_json)

synth_binary(synth-worker
  SRCS main.cc
  DEPS synth_worker_benchmark synth_worker_replay synth_worker_run synth_hash absl::flags
       absl::flags_parse)

# The real binary, dashed flag spelling, JSON out (benchmark_test covers the library).
if(SYNTH_BUILD_TESTS)
  add_test(NAME synth_worker_benchmark_json
    COMMAND synth-worker --benchmark --json --seconds=0.2 --threads=1 --hash-core=scalar
            --devices=cpu)
  set_tests_properties(synth_worker_benchmark_json PROPERTIES LABELS unit TIMEOUT 60
    FAIL_REGULAR_EXPRESSION "${SYNTH_SANITIZER_REPORT_REGEX}"
    PASS_REGULAR_EXPRESSION "\"impl\":\"scalar\".*\"total_hashes_per_second\":[1-9]")
  add_test(NAME synth_worker_bad_hash_core COMMAND synth-worker --benchmark --hash-core=nope)
  set_tests_properties(synth_worker_bad_hash_core PROPERTIES LABELS unit TIMEOUT 60
    FAIL_REGULAR_EXPRESSION "${SYNTH_SANITIZER_REPORT_REGEX}"
    PASS_REGULAR_EXPRESSION "INVALID_ARGUMENT: unknown hash core 'nope'; known: auto,")
endif()

if(SYNTH_BUILD_TESTS)
  # replay on block 100000's real job finds the block's nonce; bad input exits 2 naming the field.
  add_test(NAME synth_worker_replay_block100000
    COMMAND synth-worker replay ${PROJECT_SOURCE_DIR}/tests/data/replay/block100000.json)
  set_tests_properties(synth_worker_replay_block100000 PROPERTIES LABELS unit TIMEOUT 60
    FAIL_REGULAR_EXPRESSION "${SYNTH_SANITIZER_REPORT_REGEX}"
    PASS_REGULAR_EXPRESSION "\"0602\",\"4d1b2237\",\"10572b0f\"\\],\"hash\":\"000000000003ba27aa200b1cecaad478d2b00432346c3f1f3986da1afd33e506\"")
  add_test(NAME synth_worker_replay_bad_input
    COMMAND synth-worker replay ${PROJECT_SOURCE_DIR}/tests/data/replay/bad_difficulty.json)
  set_tests_properties(synth_worker_replay_bad_input PROPERTIES LABELS unit TIMEOUT 60
    FAIL_REGULAR_EXPRESSION "${SYNTH_SANITIZER_REPORT_REGEX}"
    PASS_REGULAR_EXPRESSION "replay: difficulty: difficulty must be finite and > 0")
endif()
