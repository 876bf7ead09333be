#include "tests/fuzz/codec_fuzz_target.h"

#include <string>
#include <vector>

#include "common/stratum/codec.h"
#include "common/stratum/job.h"

namespace synth::fuzz {
namespace {

using nlohmann::json;

template <typename T>
void Count(const absl::StatusOr<T>& s, CodecFuzzStats* st) {
  if (s.ok()) {
    ++st->typed_ok;
  } else {
    ++st->errors;
  }
}

void RunAccessors(const stratum::Message& m, CodecFuzzStats* st) {
  const json& p = m.params;
  Count(stratum::ParseNotifyParams(p), st);
  Count(stratum::ParseDifficultyParams(p, "fuzz"), st);
  Count(stratum::ParseSetExtranonceParams(p), st);
  Count(stratum::ParseSetVersionMaskParams(p), st);
  Count(stratum::ParseConfigureParams(p), st);
  Count(stratum::ParseReconnectParams(p), st);
  Count(stratum::ParseShowMessageParams(p), st);
  Count(stratum::ParseSubmitParams(p), st);
  Count(stratum::ParseSubscribeParams(p), st);
  Count(stratum::ParseAuthorizeParams(p), st);
  const json& r = m.result;
  Count(stratum::ParseSubscribeResult(r), st);
  Count(stratum::ParseConfigureResult(r), st);
  Count(stratum::ParseBoolResult(r, "fuzz"), st);
  // Re-encoding what was parsed must not throw either (invalid UTF-8 is replaced).
  if (m.kind == stratum::Message::Kind::kResponse) {
    (void)stratum::EncodeResponse(m.id, m.result, m.error);
  } else {
    (void)stratum::EncodeRequest(m.id, m.method, m.params);
  }
}

}  // namespace

CodecFuzzStats FuzzCodecOnce(const uint8_t* data, size_t size) {
  CodecFuzzStats st;
  stratum::LineFramer framer;
  std::vector<std::string> lines;
  // Feed in uneven chunks so partial lines are exercised.
  size_t pos = 0;
  size_t chunk = 1 + (size % 7);
  while (pos < size) {
    size_t n = std::min(chunk, size - pos);
    if (!framer.Feed(absl::string_view(reinterpret_cast<const char*>(data) + pos, n), &lines).ok()) {
      ++st.errors;
      break;
    }
    pos += n;
    chunk = chunk * 3 + 1;
  }
  for (const std::string& line : lines) {
    ++st.lines;
    absl::StatusOr<stratum::Message> m = stratum::ParseLine(line);
    if (!m.ok()) {
      ++st.errors;
      continue;
    }
    ++st.messages;
    RunAccessors(*m, &st);
  }
  return st;
}

}  // namespace synth::fuzz
