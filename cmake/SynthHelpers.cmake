# One helper per kind of target keeps each folder's CMakeLists declarative.

# Warnings for our own code, applied per target (never as global flags).
add_library(synth_warnings INTERFACE)
target_compile_options(synth_warnings INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers>)

# Sanitizers, selected by SYNTH_SANITIZE (address;undefined or thread), through one INTERFACE target.
set(SYNTH_SANITIZE "" CACHE STRING "Sanitizers: empty, 'address;undefined' or 'thread'")
add_library(synth_sanitizers INTERFACE)
if(SYNTH_SANITIZE)
  list(JOIN SYNTH_SANITIZE "," _synth_san)
  target_compile_options(synth_sanitizers INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=${_synth_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined>)
  target_link_options(synth_sanitizers INTERFACE -fsanitize=${_synth_san})
endif()
# TSan cannot see into Debian's uninstrumented abseil: common/tsan_absl_sync.cc re-declares its
# Mutex/CondVar/Notification entry points with TSan annotations. Linked into every executable of
# a thread-sanitizer build (object files, so they interpose the shared library's definitions).
if(SYNTH_SANITIZE MATCHES "thread")
  add_library(synth_tsan_absl_sync OBJECT ${PROJECT_SOURCE_DIR}/common/tsan_absl_sync.cc)
  target_link_libraries(synth_tsan_absl_sync PRIVATE absl::synchronization synth_sanitizers)
  set(SYNTH_EXE_EXTRA synth_tsan_absl_sync)
else()
  set(SYNTH_EXE_EXTRA "")
endif()

# Every sanitizer report ends in "SUMMARY: <Name>Sanitizer: ...". A test judged by
# PASS_REGULAR_EXPRESSION ignores its exit status, so it also gets this FAIL_REGULAR_EXPRESSION:
# a report after the expected output still fails it.
set(SYNTH_SANITIZER_REPORT_REGEX "SUMMARY: [A-Za-z]+Sanitizer")
# A fuzz build (clang) gives every library libFuzzer's coverage instrumentation, so the fuzzers
# that link them (tests/fuzz) are guided through the master's code too.
if(SYNTH_BUILD_FUZZERS AND CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  target_compile_options(synth_sanitizers INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=fuzzer-no-link>)
endif()

# synth_library(NAME SRCS a.cc ... [DEPS x ...] [PUBLIC_DEPS y ...])
function(synth_library name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${name} STATIC ${A_SRCS})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PUBLIC ${A_PUBLIC_DEPS} synth_sanitizers PRIVATE ${A_DEPS} synth_warnings)
endfunction()

# synth_binary(NAME SRCS main.cc [DEPS ...])
function(synth_binary name)
  cmake_parse_arguments(A "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PRIVATE ${A_DEPS} synth_warnings synth_sanitizers ${SYNTH_EXE_EXTRA})
endfunction()

# synth_test(NAME SRCS foo_test.cc [DEPS ...] [LABELS unit ...] [TIMEOUT s])
# Unit tests sit beside the code; gtest_discover_tests is avoided so a test binary that cannot
# start fails loudly instead of registering zero tests.
function(synth_test name)
  if(NOT SYNTH_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(A "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${A_SRCS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${name} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main GTest::gmock
                        synth_warnings synth_sanitizers ${SYNTH_EXE_EXTRA})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT})
endfunction()

# synth_shell_test(NAME SCRIPT script.sh [ARGS a ...] [BINARIES target ...] [LABELS l ...]
#                  [TIMEOUT s] [RUN_SERIAL] [ENVIRONMENT VAR=value ...])
# A test script run as `bash SCRIPT ARGS... $<TARGET_FILE:BINARIES>...` (SCRIPT relative to the
# calling folder); exit 77 means skipped (a tool missing, not root, ...). Registered only when
# every BINARIES target is part of the build.
function(synth_shell_test name)
  if(NOT SYNTH_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(A "RUN_SERIAL" "SCRIPT;TIMEOUT" "ARGS;BINARIES;LABELS;ENVIRONMENT" ${ARGN})
  get_filename_component(_script "${A_SCRIPT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(_bins "")
  foreach(_bin IN LISTS A_BINARIES)
    if(NOT TARGET ${_bin})
      return()
    endif()
    list(APPEND _bins "$<TARGET_FILE:${_bin}>")
  endforeach()
  add_test(NAME ${name} COMMAND bash ${_script} ${A_ARGS} ${_bins})
  set_tests_properties(${name} PROPERTIES LABELS "${A_LABELS}" SKIP_RETURN_CODE 77)
  if(A_TIMEOUT)
    set_tests_properties(${name} PROPERTIES TIMEOUT ${A_TIMEOUT})
  endif()
  if(A_RUN_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
  if(A_ENVIRONMENT)
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "${A_ENVIRONMENT}")
  endif()
endfunction()
