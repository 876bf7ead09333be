// File: common/sv2/wire.h
//
// The SV2 data types on the wire (docs/DESIGN.md §9.1): BOOL, U8, U16, U24, U32, U64, U256, F32,
// STR0_255, B0_32, B0_255, B0_64K, OPTION[U32], SEQ0_255[U256], SEQ0_64K[U32]; multi-byte values
// little-endian. Reader and Writer keep the first error and ignore everything after it, so a
// message codec reads as a list of fields and checks once:
//
//   WireReader r(payload);
//   m.channel_id = r.U32();
//   m.prefix = r.Bytes(32, "extranonce_prefix");      // B0_32
//   RETURN_IF_ERROR(r.Finish("SetExtranoncePrefix"));  // truncated, too long, trailing bytes
//
//   WireWriter w;
//   w.U32(m.channel_id);
//   w.Bytes(m.prefix, 32, "extranonce_prefix");
//   ASSIGN_OR_RETURN(std::vector<uint8_t> payload, std::move(w).Finish("SetExtranoncePrefix"));
//
// Thread-compatible.
#ifndef SYNTH_COMMON_SV2_WIRE_H_
#define SYNTH_COMMON_SV2_WIRE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace synth::sv2 {

using U256 = std::array<uint8_t, 32>;  // Little-endian, as the hash bytes come out.

class WireReader {
 public:
  explicit WireReader(std::span<const uint8_t> data) : data_(data) {}
  bool Bool();  // Only the least significant bit counts.
  uint8_t U8();
  uint16_t U16();
  uint32_t U24();
  uint32_t U32();
  uint64_t U64();
  float F32();
  U256 U256Value();
  // A length-prefixed byte string: prefix of `prefix_bytes` (1 or 2), at most `max` bytes.
  std::vector<uint8_t> Bytes(size_t max, absl::string_view field, int prefix_bytes = 1);
  std::string Str(absl::string_view field);  // STR0_255
  std::optional<uint32_t> OptionU32(absl::string_view field);
  std::vector<U256> SeqU256(absl::string_view field);     // SEQ0_255[U256]
  std::vector<uint32_t> SeqU32(absl::string_view field);  // SEQ0_64K[U32]
  // InvalidArgument naming `message` when a read ran past the end, a field broke its limit or
  // bytes are left over.
  absl::Status Finish(absl::string_view message) const;

 private:
  bool Take(size_t n, absl::string_view field, const uint8_t** out);
  uint64_t Le(size_t n);
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  std::string error_;
};

class WireWriter {
 public:
  void Bool(bool v) { U8(v ? 1 : 0); }
  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { Le(v, 2); }
  void U24(uint32_t v) { Le(v, 3); }
  void U32(uint32_t v) { Le(v, 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void F32(float v);
  void U256Value(const U256& v) { out_.insert(out_.end(), v.begin(), v.end()); }
  void Bytes(std::span<const uint8_t> v, size_t max, absl::string_view field, int prefix_bytes = 1);
  void Str(absl::string_view v, absl::string_view field);
  void OptionU32(const std::optional<uint32_t>& v);
  void SeqU256(const std::vector<U256>& v, absl::string_view field);
  void SeqU32(const std::vector<uint32_t>& v, absl::string_view field);
  // The payload, or InvalidArgument naming `message` and the field over its limit.
  absl::StatusOr<std::vector<uint8_t>> Finish(absl::string_view message) &&;

 private:
  void Le(uint64_t v, int n);
  std::vector<uint8_t> out_;
  std::string error_;
};

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_WIRE_H_
