#include "tests/fuzz/sv2_fuzz_target.h"

#include <span>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sv2/frame.h"
#include "common/sv2/messages.h"
#include "master/stratum/sv2_session.h"

namespace synth::fuzz {
namespace {

// Feeds `data` to `feed` in chunks of growing, input-dependent sizes.
template <typename Feed>
bool Chunked(std::span<const uint8_t> data, size_t first, Feed feed) {
  size_t pos = 0;
  size_t chunk = first;
  while (pos < data.size()) {
    size_t n = std::min(chunk, data.size() - pos);
    if (!feed(data.subspan(pos, n))) return false;
    pos += n;
    chunk = chunk * 2 + 3;
  }
  return true;
}

sv2::Key32 FixedKey() {
  sv2::Key32 k;
  k.fill(0x5a);
  return k;
}

class NullDelegate : public stratum::Sv2Session::Delegate {
 public:
  void SendFrame(sv2::Frame frame) override {
    if (!sv2::DecodeMessage(frame).ok()) bad_sent = true;  // The session sends valid messages.
  }
  void OnReady() override {}
  void OnJob(const stratum::ClientJob& job) override {
    last_job = job.job.job_id;
    ++jobs;
  }
  void OnReconnect(const stratum::ReconnectParams&) override {}
  size_t jobs = 0;
  std::string last_job;
  bool bad_sent = false;
};

void CheckRoundTrip(const sv2::Frame& f, Sv2FuzzResult* r) {
  absl::StatusOr<sv2::Message> m = sv2::DecodeMessage(f);
  if (absl::IsUnimplemented(m.status())) {
    ++r->unknown;
    return;
  }
  if (!m.ok()) {
    ++r->errors;
    return;
  }
  ++r->messages;
  // Decoding then encoding must reach a fixed point after one round (BOOLs and the channel bit
  // are normalized; bytes are compared, so a NaN F32 compares equal to itself).
  absl::StatusOr<sv2::Frame> once = sv2::EncodeMessage(*m);
  absl::StatusOr<sv2::Message> back =
      once.ok() ? sv2::DecodeMessage(*once) : absl::StatusOr<sv2::Message>(once.status());
  absl::StatusOr<sv2::Frame> twice =
      back.ok() ? sv2::EncodeMessage(*back) : absl::StatusOr<sv2::Frame>(back.status());
  if (!twice.ok() || !(*twice == *once) || once->payload.size() != f.payload.size()) {
    r->violation = absl::StrCat(sv2::MessageName(*m), " does not round-trip");
  }
}

void CheckEncryption(const std::vector<sv2::Frame>& frames, size_t first, Sv2FuzzResult* r) {
  sv2::CipherState send, recv;
  send.InitializeKey(FixedKey());
  recv.InitializeKey(FixedKey());
  std::vector<uint8_t> wire;
  for (const sv2::Frame& f : frames) {
    absl::StatusOr<std::vector<uint8_t>> bytes = sv2::EncryptFrame(f, &send);
    if (!bytes.ok()) {
      r->violation = absl::StrCat("EncryptFrame: ", bytes.status().message());
      return;
    }
    wire.insert(wire.end(), bytes->begin(), bytes->end());
  }
  sv2::EncryptedFrameDecoder dec(&recv);
  std::vector<sv2::Frame> out;
  bool ok =
      Chunked(wire, first, [&](std::span<const uint8_t> c) { return dec.Feed(c, &out).ok(); });
  if (!ok || out != frames || dec.buffered() != 0)
    r->violation = "encrypted frames do not round-trip";
}

void DriveSession(const std::vector<sv2::Frame>& frames, Sv2FuzzResult* r) {
  NullDelegate d;
  stratum::Sv2SessionConfig config;
  config.user = "fuzz";
  stratum::Sv2Session s(config, &d, 1, "stratum2+tcp://fuzz:1/key");
  absl::Time now = absl::FromUnixSeconds(1700000000);
  s.Begin(now);
  size_t callbacks = 0;
  for (const sv2::Frame& f : frames) {
    now += absl::Milliseconds(10);
    absl::Status st = s.OnFrame(f, now);
    if (!st.ok()) {
      r->session_error = std::string(st.message());
      break;
    }
    if (!d.last_job.empty() && s.pending_submits() < 4) {
      s.Submit(
          stratum::ClientShare{d.last_job, {1, 2, 3, 4}, 1, 2, 0x20000000},
          [&](const stratum::SubmitResult&) { ++callbacks; }, now);
    }
    (void)s.Tick(now);
  }
  size_t pending = s.pending_submits();
  size_t before = callbacks;
  s.AbortPending(stratum::SubmitOutcome::kTimedOut, "fuzz ends");
  if (callbacks != before + pending) r->violation = "a submit callback ran twice or never";
  if (d.bad_sent) r->violation = "the session sent an undecodable message";
  r->jobs = d.jobs;
  r->verdicts = callbacks;
}

}  // namespace

Sv2FuzzResult FuzzSv2Once(const uint8_t* data, size_t size) {
  Sv2FuzzResult r;
  std::span<const uint8_t> input(data, size);
  const size_t first = 1 + (size % 11);
  sv2::PlainFrameDecoder plain;
  std::vector<sv2::Frame> frames;
  if (!Chunked(input, first,
               [&](std::span<const uint8_t> c) { return plain.Feed(c, &frames).ok(); })) {
    ++r.errors;
  }
  if (plain.buffered() > 0) ++r.errors;  // A truncated last frame.
  r.frames = frames.size();
  for (const sv2::Frame& f : frames) CheckRoundTrip(f, &r);
  if (r.violation.empty()) CheckEncryption(frames, first + 5, &r);
  // Raw bytes as ciphertext: nearly always a MAC failure, never a crash.
  sv2::CipherState recv;
  recv.InitializeKey(FixedKey());
  sv2::EncryptedFrameDecoder raw(&recv);
  std::vector<sv2::Frame> ignored;
  (void)raw.Feed(input, &ignored);
  if (r.violation.empty()) DriveSession(frames, &r);
  return r;
}

}  // namespace synth::fuzz
