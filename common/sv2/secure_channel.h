// File: common/sv2/secure_channel.h
//
// One SV2 connection's byte stream as either side sees it: the Noise NX handshake (noise.h),
// then encrypted frames (frame.h). The transport feeds it whatever bytes arrive and sends
// whatever it returns; nothing here does I/O.
//
//   auto ch = SecureChannel::Initiator(authority_key, SystemRandom());
//   ASSIGN_OR_RETURN(std::vector<uint8_t> act1, ch->Start());              // send
//   RETURN_IF_ERROR(ch->Feed(bytes, absl::Now(), &frames, &to_send));     // on every read
//   if (ch->established()) ASSIGN_OR_RETURN(std::vector<uint8_t> wire, ch->Seal(frame));
//
//   auto srv = SecureChannel::Responder(credentials, SystemRandom());
//   RETURN_IF_ERROR(srv->Feed(bytes, now, &frames, &to_send));             // to_send: act 2
//
// Any error (a MAC that does not verify, a bad certificate, an oversize frame) is final: the
// connection must be closed, and every later call returns the same error. Thread-compatible.
#ifndef SYNTH_COMMON_SV2_SECURE_CHANNEL_H_
#define SYNTH_COMMON_SV2_SECURE_CHANNEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sv2/frame.h"
#include "common/sv2/noise.h"

namespace synth::sv2 {

class SecureChannel {
 public:
  static std::unique_ptr<SecureChannel> Initiator(XOnly authority_key, RandomFn random);
  static std::unique_ptr<SecureChannel> Responder(ResponderCredentials credentials,
                                                  RandomFn random);

  // Initiator: returns act 1, the first bytes to send. FailedPrecondition on a responder.
  absl::StatusOr<std::vector<uint8_t>> Start();
  // Consumes received bytes: handshake messages, then frames, appended to *frames. Bytes to
  // send back (the responder's act 2) are appended to *send. `now` checks the certificate.
  absl::Status Feed(std::span<const uint8_t> bytes, absl::Time now, std::vector<Frame>* frames,
                    std::vector<uint8_t>* send);
  // Encrypts one frame; FailedPrecondition before the handshake completed.
  absl::StatusOr<std::vector<uint8_t>> Seal(const Frame& frame);

  bool established() const { return ciphers_ != nullptr; }
  // Received bytes of a handshake message or frame not yet complete.
  size_t buffered() const;
  // Initiator, once established: the server's static key and its certificate.
  const XOnly& server_key() const;
  const Certificate& certificate() const;

 private:
  SecureChannel() = default;
  absl::Status FeedHandshake(std::span<const uint8_t>* bytes, absl::Time now,
                             std::vector<uint8_t>* send);
  absl::Status Fail(absl::Status s);

  std::optional<NoiseInitiator> initiator_;
  std::optional<NoiseResponder> responder_;
  std::vector<uint8_t> handshake_;  // A handshake message being received.
  std::unique_ptr<TransportCiphers> ciphers_;
  std::unique_ptr<EncryptedFrameDecoder> decoder_;
  absl::Status error_;
};

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_SECURE_CHANNEL_H_
