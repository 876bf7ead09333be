# CUDA devices for the worker (included OPTIONAL by worker/devices/CMakeLists.txt): defines
# synth_cuda_device only when the kernels are built, so -DSYNTH_WITH_CUDA=OFF builds without.
if(TARGET synth_kernels)
  synth_library(synth_cuda_device
    SRCS ${CMAKE_CURRENT_LIST_DIR}/cuda_device.cc
    PUBLIC_DEPS synth_hash absl::status absl::statusor
    DEPS synth_kernels synth_common_base absl::strings ${CMAKE_DL_LIBS})
  synth_test(cuda_device_test SRCS ${CMAKE_CURRENT_LIST_DIR}/cuda_device_test.cc
    DEPS synth_cuda_device synth_hash synth_common_base LABELS gpu)
endif()
