#include "common/sv2/frame.h"

#include "absl/strings/str_cat.h"

namespace synth::sv2 {
namespace {

absl::Status TooLong(uint32_t length) {
  return absl::InvalidArgumentError(
      absl::StrCat("SV2 frame of ", length, " bytes (limit ", kMaxFramePayload, ")"));
}

}  // namespace

std::array<uint8_t, kFrameHeaderSize> EncodeFrameHeader(const FrameHeader& h) {
  return {static_cast<uint8_t>(h.extension_type),
          static_cast<uint8_t>(h.extension_type >> 8),
          h.msg_type,
          static_cast<uint8_t>(h.length),
          static_cast<uint8_t>(h.length >> 8),
          static_cast<uint8_t>(h.length >> 16)};
}

FrameHeader DecodeFrameHeader(std::span<const uint8_t, kFrameHeaderSize> b) {
  FrameHeader h;
  h.extension_type = static_cast<uint16_t>(b[0] | (b[1] << 8));
  h.msg_type = b[2];
  h.length = static_cast<uint32_t>(b[3]) | (static_cast<uint32_t>(b[4]) << 8) |
             (static_cast<uint32_t>(b[5]) << 16);
  return h;
}

size_t CiphertextLength(size_t plaintext_length) {
  size_t remainder = plaintext_length % kMaxNoisePlaintext;
  if (remainder > 0) remainder += kMacSize;
  return plaintext_length / kMaxNoisePlaintext * kMaxNoiseMessage + remainder;
}

absl::StatusOr<std::vector<uint8_t>> EncodePlainFrame(const Frame& frame) {
  if (frame.payload.size() > kMaxFramePayload) {
    return TooLong(static_cast<uint32_t>(frame.payload.size()));
  }
  auto header = EncodeFrameHeader(
      {frame.extension_type, frame.msg_type, static_cast<uint32_t>(frame.payload.size())});
  std::vector<uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), frame.payload.begin(), frame.payload.end());
  return out;
}

absl::Status PlainFrameDecoder::Feed(std::span<const uint8_t> bytes, std::vector<Frame>* out) {
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  size_t pos = 0;
  while (buffer_.size() - pos >= kFrameHeaderSize) {
    FrameHeader h =
        DecodeFrameHeader(std::span<const uint8_t, kFrameHeaderSize>(buffer_.data() + pos, 6));
    if (h.length > kMaxFramePayload) return TooLong(h.length);
    if (buffer_.size() - pos - kFrameHeaderSize < h.length) break;
    auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(pos + kFrameHeaderSize);
    out->push_back(
        Frame{h.extension_type, h.msg_type, std::vector<uint8_t>(begin, begin + h.length)});
    pos += kFrameHeaderSize + h.length;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> EncryptFrame(const Frame& frame, CipherState* cipher) {
  if (frame.payload.size() > kMaxFramePayload) {
    return TooLong(static_cast<uint32_t>(frame.payload.size()));
  }
  auto header = EncodeFrameHeader(
      {frame.extension_type, frame.msg_type, static_cast<uint32_t>(frame.payload.size())});
  absl::StatusOr<std::vector<uint8_t>> out = cipher->EncryptWithAd({}, header);
  if (!out.ok()) return out.status();
  std::span<const uint8_t> rest(frame.payload);
  while (!rest.empty()) {
    size_t n = std::min(rest.size(), kMaxNoisePlaintext);
    absl::StatusOr<std::vector<uint8_t>> block = cipher->EncryptWithAd({}, rest.first(n));
    if (!block.ok()) return block.status();
    out->insert(out->end(), block->begin(), block->end());
    rest = rest.subspan(n);
  }
  return out;
}

absl::Status EncryptedFrameDecoder::Feed(std::span<const uint8_t> bytes, std::vector<Frame>* out) {
  if (!error_.ok()) return error_;
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  bool progress = true;
  while (progress) {
    progress = false;
    absl::Status s = DecodeOne(out, &progress);
    if (!s.ok()) {
      error_ = s;
      buffer_.clear();
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status EncryptedFrameDecoder::DecodeOne(std::vector<Frame>* out, bool* progress) {
  if (!have_header_) {
    if (buffer_.size() < kEncryptedHeaderSize) return absl::OkStatus();
    absl::StatusOr<std::vector<uint8_t>> h =
        cipher_->DecryptWithAd({}, std::span<const uint8_t>(buffer_.data(), kEncryptedHeaderSize));
    if (!h.ok())
      return absl::DataLossError(absl::StrCat("SV2 frame header: ", h.status().message()));
    header_ = DecodeFrameHeader(std::span<const uint8_t, kFrameHeaderSize>(h->data(), 6));
    if (header_.length > kMaxFramePayload) return TooLong(header_.length);
    buffer_.erase(buffer_.begin(), buffer_.begin() + kEncryptedHeaderSize);
    have_header_ = true;
  }
  size_t need = CiphertextLength(header_.length);
  if (buffer_.size() < need) return absl::OkStatus();
  Frame frame{header_.extension_type, header_.msg_type, {}};
  frame.payload.reserve(header_.length);
  std::span<const uint8_t> rest(buffer_.data(), need);
  while (!rest.empty()) {
    size_t n = std::min(rest.size(), kMaxNoiseMessage);
    absl::StatusOr<std::vector<uint8_t>> block = cipher_->DecryptWithAd({}, rest.first(n));
    if (!block.ok()) {
      return absl::DataLossError(absl::StrCat("SV2 frame payload: ", block.status().message()));
    }
    frame.payload.insert(frame.payload.end(), block->begin(), block->end());
    rest = rest.subspan(n);
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(need));
  have_header_ = false;
  out->push_back(std::move(frame));
  *progress = true;
  return absl::OkStatus();
}

}  // namespace synth::sv2
