#include "common/sv2/wire.h"

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace synth::sv2 {

bool WireReader::Take(size_t n, absl::string_view field, const uint8_t** out) {
  if (!error_.empty()) return false;
  if (data_.size() - pos_ < n) {
    error_ = absl::StrCat("truncated at ", field.empty() ? "a field" : field, " (byte ", pos_, ")");
    return false;
  }
  *out = data_.data() + pos_;
  pos_ += n;
  return true;
}

uint64_t WireReader::Le(size_t n) {
  const uint8_t* p = nullptr;
  if (!Take(n, "", &p)) return 0;
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

bool WireReader::Bool() { return (U8() & 1) != 0; }
uint8_t WireReader::U8() { return static_cast<uint8_t>(Le(1)); }
uint16_t WireReader::U16() { return static_cast<uint16_t>(Le(2)); }
uint32_t WireReader::U24() { return static_cast<uint32_t>(Le(3)); }
uint32_t WireReader::U32() { return static_cast<uint32_t>(Le(4)); }
uint64_t WireReader::U64() { return Le(8); }

float WireReader::F32() {
  uint32_t bits = U32();
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

U256 WireReader::U256Value() {
  U256 v{};
  const uint8_t* p = nullptr;
  if (Take(32, "U256", &p)) std::memcpy(v.data(), p, 32);
  return v;
}

std::vector<uint8_t> WireReader::Bytes(size_t max, absl::string_view field, int prefix_bytes) {
  size_t n = static_cast<size_t>(Le(static_cast<size_t>(prefix_bytes)));
  if (!error_.empty()) return {};
  if (n > max) {
    error_ = absl::StrCat(field, " of ", n, " bytes (at most ", max, ")");
    return {};
  }
  const uint8_t* p = nullptr;
  if (!Take(n, field, &p)) return {};
  return std::vector<uint8_t>(p, p + n);
}

std::string WireReader::Str(absl::string_view field) {
  std::vector<uint8_t> b = Bytes(255, field);
  return std::string(b.begin(), b.end());
}

std::optional<uint32_t> WireReader::OptionU32(absl::string_view field) {
  uint8_t n = U8();
  if (n > 1 && error_.empty()) error_ = absl::StrCat(field, ": OPTION with ", n, " elements");
  if (n != 1 || !error_.empty()) return std::nullopt;
  return U32();
}

std::vector<U256> WireReader::SeqU256(absl::string_view field) {
  uint8_t n = U8();
  std::vector<U256> out;
  for (uint8_t i = 0; i < n && error_.empty(); ++i) out.push_back(U256Value());
  if (!error_.empty() && !absl::StrContains(error_, field)) error_ += absl::StrCat(" in ", field);
  return out;
}

std::vector<uint32_t> WireReader::SeqU32(absl::string_view field) {
  uint16_t n = U16();
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < n && error_.empty(); ++i) out.push_back(U32());
  if (!error_.empty() && !absl::StrContains(error_, field)) error_ += absl::StrCat(" in ", field);
  return out;
}

absl::Status WireReader::Finish(absl::string_view message) const {
  if (!error_.empty()) return absl::InvalidArgumentError(absl::StrCat(message, ": ", error_));
  if (pos_ != data_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(message, ": ", data_.size() - pos_, " unexpected trailing bytes"));
  }
  return absl::OkStatus();
}

void WireWriter::Le(uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void WireWriter::F32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  U32(bits);
}

void WireWriter::Bytes(std::span<const uint8_t> v, size_t max, absl::string_view field,
                       int prefix_bytes) {
  if (v.size() > max) {
    if (error_.empty())
      error_ = absl::StrCat(field, " of ", v.size(), " bytes (at most ", max, ")");
    return;
  }
  Le(v.size(), prefix_bytes);
  out_.insert(out_.end(), v.begin(), v.end());
}

void WireWriter::Str(absl::string_view v, absl::string_view field) {
  Bytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v.data()), v.size()), 255, field);
}

void WireWriter::OptionU32(const std::optional<uint32_t>& v) {
  U8(v ? 1 : 0);
  if (v) U32(*v);
}

void WireWriter::SeqU256(const std::vector<U256>& v, absl::string_view field) {
  if (v.size() > 255) {
    if (error_.empty()) error_ = absl::StrCat(field, " with ", v.size(), " elements (at most 255)");
    return;
  }
  U8(static_cast<uint8_t>(v.size()));
  for (const U256& x : v) U256Value(x);
}

void WireWriter::SeqU32(const std::vector<uint32_t>& v, absl::string_view field) {
  if (v.size() > 0xffff) {
    if (error_.empty())
      error_ = absl::StrCat(field, " with ", v.size(), " elements (at most 65535)");
    return;
  }
  U16(static_cast<uint16_t>(v.size()));
  for (uint32_t x : v) U32(x);
}

absl::StatusOr<std::vector<uint8_t>> WireWriter::Finish(absl::string_view message) && {
  if (!error_.empty()) return absl::InvalidArgumentError(absl::StrCat(message, ": ", error_));
  return std::move(out_);
}

}  // namespace synth::sv2
