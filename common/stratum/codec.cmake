# The Stratum V1 JSON-RPC line codec (framing, messages, typed method params).
synth_library(synth_stratum_codec
  SRCS codec.cc codec_internal.cc codec_methods.cc
  PUBLIC_DEPS synth_stratum_job synth_bitcoin nlohmann_json::nlohmann_json absl::status
              absl::statusor
  DEPS absl::strings)

synth_test(stratum_codec_test
  SRCS codec_test.cc
  DEPS synth_stratum_codec)
