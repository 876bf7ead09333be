# Included from master/CMakeLists.txt: the synth-master binary (a thin main over
# master/service). synthctl and synth-loadgen live in ctl/.
set(_upstream_srcs service/stratum_upstream.cc)
set(_upstream_deps)
if(TARGET synth_stratum_upstream)
  list(APPEND _upstream_deps synth_stratum_upstream)
endif()
synth_library(synth_master_upstream
  SRCS ${_upstream_srcs}
  PUBLIC_DEPS synth_master_jobs absl::statusor
  DEPS ${_upstream_deps} synth_common_base absl::strings absl::synchronization)
if(TARGET synth_stratum_upstream)
  target_compile_definitions(synth_master_upstream PRIVATE SYNTH_HAVE_STRATUM_CLIENT)
endif()

synth_binary(synth-master
  SRCS main.cc
  DEPS synth_master_service synth_master_upstream synth_common_base absl::flags
       absl::flags_parse absl::strings)
# The monitoring endpoint (master/http, --http-listen) once its folder is part of the build.
if(TARGET synth_master_http)
  target_link_libraries(synth-master PRIVATE synth_master_http)
  target_compile_definitions(synth-master PRIVATE SYNTH_HAVE_MASTER_HTTP)
endif()

# --max-share-rate is checked before anything starts: a negative or non-finite value exits 2.
if(SYNTH_BUILD_TESTS)
  add_test(NAME synth_master_bad_max_share_rate
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bad_flag_test.sh $<TARGET_FILE:synth-master>)
  set_tests_properties(synth_master_bad_max_share_rate PROPERTIES LABELS unit TIMEOUT 30)
endif()
