#include "common/sv2/secure_channel.h"

namespace synth::sv2 {

std::unique_ptr<SecureChannel> SecureChannel::Initiator(XOnly authority_key, RandomFn random) {
  std::unique_ptr<SecureChannel> ch(new SecureChannel);
  ch->initiator_.emplace(authority_key, std::move(random));
  return ch;
}

std::unique_ptr<SecureChannel> SecureChannel::Responder(ResponderCredentials credentials,
                                                        RandomFn random) {
  std::unique_ptr<SecureChannel> ch(new SecureChannel);
  ch->responder_.emplace(std::move(credentials), std::move(random));
  return ch;
}

absl::Status SecureChannel::Fail(absl::Status s) {
  if (error_.ok()) error_ = s;
  handshake_.clear();
  return error_;
}

absl::StatusOr<std::vector<uint8_t>> SecureChannel::Start() {
  if (!error_.ok()) return error_;
  if (!initiator_) return absl::FailedPreconditionError("SV2: only the initiator starts");
  absl::StatusOr<EllSwift> act1 = initiator_->WriteAct1();
  if (!act1.ok()) return Fail(act1.status());
  return std::vector<uint8_t>(act1->begin(), act1->end());
}

absl::Status SecureChannel::FeedHandshake(std::span<const uint8_t>* bytes, absl::Time now,
                                          std::vector<uint8_t>* send) {
  const size_t need = initiator_ ? kAct2Size : kAct1Size;
  size_t take = std::min(need - handshake_.size(), bytes->size());
  handshake_.insert(handshake_.end(), bytes->begin(), bytes->begin() + take);
  *bytes = bytes->subspan(take);
  if (handshake_.size() < need) return absl::OkStatus();
  if (initiator_) {
    absl::StatusOr<TransportCiphers> c = initiator_->ReadAct2(handshake_, now);
    if (!c.ok()) return c.status();
    ciphers_ = std::make_unique<TransportCiphers>(std::move(*c));
  } else {
    absl::StatusOr<NoiseResponder::Reply> r = responder_->Respond(handshake_);
    if (!r.ok()) return r.status();
    send->insert(send->end(), r->act2.begin(), r->act2.end());
    ciphers_ = std::make_unique<TransportCiphers>(std::move(r->ciphers));
  }
  handshake_.clear();
  decoder_ = std::make_unique<EncryptedFrameDecoder>(&ciphers_->recv);
  return absl::OkStatus();
}

absl::Status SecureChannel::Feed(std::span<const uint8_t> bytes, absl::Time now,
                                 std::vector<Frame>* frames, std::vector<uint8_t>* send) {
  if (!error_.ok()) return error_;
  if (!ciphers_) {
    if (absl::Status s = FeedHandshake(&bytes, now, send); !s.ok()) return Fail(s);
    if (!ciphers_) return absl::OkStatus();
  }
  if (absl::Status s = decoder_->Feed(bytes, frames); !s.ok()) return Fail(s);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> SecureChannel::Seal(const Frame& frame) {
  if (!error_.ok()) return error_;
  if (!ciphers_) return absl::FailedPreconditionError("SV2: handshake not finished");
  absl::StatusOr<std::vector<uint8_t>> out = EncryptFrame(frame, &ciphers_->send);
  // An oversize frame is refused before any nonce is used; anything else breaks the stream.
  if (!out.ok() && !absl::IsInvalidArgument(out.status())) return Fail(out.status());
  return out;
}

size_t SecureChannel::buffered() const {
  return handshake_.size() + (decoder_ ? decoder_->buffered() : 0);
}

const XOnly& SecureChannel::server_key() const {
  static const XOnly kNone{};
  return initiator_ ? initiator_->server_key() : kNone;
}

const Certificate& SecureChannel::certificate() const {
  static const Certificate kNone;
  return initiator_ ? initiator_->certificate() : kNone;
}

}  // namespace synth::sv2
