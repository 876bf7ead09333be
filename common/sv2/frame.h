// File: common/sv2/frame.h
//
// SV2 framing (docs/DESIGN.md §9.1). A frame is a 6-byte header (extension_type U16 whose top
// bit is channel_msg, msg_type U8, msg_length U24, all little-endian) and a payload of
// msg_length bytes. After the Noise handshake every frame travels encrypted: the header as one
// AEAD message (6 + 16 = 22 bytes), then the payload cut into blocks of at most 65519 bytes,
// each one AEAD message of at most 65535 bytes. msg_length always counts plaintext bytes.
//
//   ASSIGN_OR_RETURN(std::vector<uint8_t> wire, EncryptFrame(frame, &send_cipher));
//   EncryptedFrameDecoder dec(&recv_cipher);
//   RETURN_IF_ERROR(dec.Feed(bytes, &frames));      // any split of the stream
//
// A frame whose msg_length exceeds kMaxFramePayload is refused before anything is buffered, so
// a peer cannot make us allocate 16 MiB. Thread-compatible.
#ifndef SYNTH_COMMON_SV2_FRAME_H_
#define SYNTH_COMMON_SV2_FRAME_H_

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "common/sv2/cipher.h"

namespace synth::sv2 {

inline constexpr size_t kFrameHeaderSize = 6;
inline constexpr uint16_t kChannelMsgBit = 0x8000;
inline constexpr size_t kMaxNoiseMessage = 65535;                            // ciphertext
inline constexpr size_t kMaxNoisePlaintext = kMaxNoiseMessage - kMacSize;    // 65519
inline constexpr size_t kEncryptedHeaderSize = kFrameHeaderSize + kMacSize;  // 22
// The largest payload accepted: a NewExtendedMiningJob with two full 64 KiB coinbase halves and
// 255 merkle hashes is about 139 KB.
inline constexpr size_t kMaxFramePayload = 256 * 1024;

struct Frame {
  uint16_t extension_type = 0;  // Including kChannelMsgBit.
  uint8_t msg_type = 0;
  std::vector<uint8_t> payload;

  bool channel_msg() const { return (extension_type & kChannelMsgBit) != 0; }
  uint16_t extension() const { return extension_type & ~kChannelMsgBit; }
  friend bool operator==(const Frame&, const Frame&) = default;
};

struct FrameHeader {
  uint16_t extension_type = 0;
  uint8_t msg_type = 0;
  uint32_t length = 0;  // U24
};

std::array<uint8_t, kFrameHeaderSize> EncodeFrameHeader(const FrameHeader& h);
FrameHeader DecodeFrameHeader(std::span<const uint8_t, kFrameHeaderSize> bytes);

// Bytes on the wire for a payload of `plaintext_length` bytes (the specification's
// pt_len_to_ct_len).
size_t CiphertextLength(size_t plaintext_length);

// Header ‖ payload, unencrypted. InvalidArgument over kMaxFramePayload.
absl::StatusOr<std::vector<uint8_t>> EncodePlainFrame(const Frame& frame);

// Splits a stream of unencrypted frames (tests and the fuzzer).
class PlainFrameDecoder {
 public:
  absl::Status Feed(std::span<const uint8_t> bytes, std::vector<Frame>* out);
  size_t buffered() const { return buffer_.size(); }

 private:
  std::vector<uint8_t> buffer_;
};

// Encrypts `frame` with `cipher` (two or more AEAD messages).
absl::StatusOr<std::vector<uint8_t>> EncryptFrame(const Frame& frame, CipherState* cipher);

// Splits and decrypts a stream of encrypted frames. After an error the decoder is dead (the
// cipher's nonce no longer matches the peer's): every later Feed fails too.
class EncryptedFrameDecoder {
 public:
  explicit EncryptedFrameDecoder(CipherState* cipher) : cipher_(cipher) {}
  absl::Status Feed(std::span<const uint8_t> bytes, std::vector<Frame>* out);
  // Bytes of a frame not yet complete (non-zero when a stream ends mid-frame).
  size_t buffered() const { return buffer_.size(); }

 private:
  absl::Status DecodeOne(std::vector<Frame>* out, bool* progress);
  CipherState* cipher_;
  std::vector<uint8_t> buffer_;
  bool have_header_ = false;
  FrameHeader header_;
  absl::Status error_;
};

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_FRAME_H_
