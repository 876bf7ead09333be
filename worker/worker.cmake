# worker/worker.cmake: the worker's scheduler, master connection and run loop (included by
# worker/CMakeLists.txt). Binaries live in binaries.cmake.
set(_w ${CMAKE_CURRENT_SOURCE_DIR})

synth_library(synth_worker_scheduler
  SRCS ${_w}/scheduler/scheduler.cc ${_w}/scheduler/batch_sizer.cc
       ${_w}/scheduler/telemetry_window.cc
  PUBLIC_DEPS synth_worker_devices synth_hash synth_common_base absl::status absl::statusor absl::synchronization
              absl::time absl::flat_hash_set
  DEPS absl::strings)

synth_test(worker_scheduler_test
  SRCS ${_w}/scheduler/scheduler_test.cc ${_w}/scheduler/batch_sizer_test.cc
       ${_w}/scheduler/telemetry_window_test.cc
  DEPS synth_worker_scheduler)

synth_library(synth_worker_conn
  SRCS ${_w}/conn/backoff.cc ${_w}/conn/share_outbox.cc ${_w}/conn/wire.cc
       ${_w}/conn/stream_reactor.cc ${_w}/conn/master_connection.cc
       ${_w}/conn/master_connection_messages.cc
  PUBLIC_DEPS synth_worker_scheduler synth_proto absl::synchronization absl::time
              absl::flat_hash_map absl::flat_hash_set
  DEPS synth_proto_midstate absl::strings)

synth_test(worker_conn_test
  SRCS ${_w}/conn/backoff_test.cc ${_w}/conn/share_outbox_test.cc ${_w}/conn/wire_test.cc
  DEPS synth_worker_conn)

synth_test(worker_master_connection_test
  SRCS ${_w}/conn/master_connection_test.cc
  DEPS synth_worker_conn)

synth_library(synth_worker_run
  SRCS ${_w}/worker_main.cc
  PUBLIC_DEPS synth_worker_devices
  DEPS synth_worker_conn synth_worker_scheduler synth_worker_http synth_metrics_http
       synth_proto_credentials synth_proto_client_flags
       synth_common_base absl::flags absl::strings absl::str_format absl::time
       nlohmann_json::nlohmann_json)

synth_test(worker_run_test
  SRCS ${_w}/worker_main_test.cc
  DEPS synth_worker_run synth_worker_conn nlohmann_json::nlohmann_json)
