#include "common/sv2/messages.h"

#include <concepts>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace synth::sv2 {
namespace {

// Each message's fields are listed once, in wire order, in a Fields() overload that both
// directions run: In reads into the message, Out writes from it.
struct In {
  WireReader& r;
  void Bool(bool& v) { v = r.Bool(); }
  void U8(uint8_t& v) { v = r.U8(); }
  void U16(uint16_t& v) { v = r.U16(); }
  void U32(uint32_t& v) { v = r.U32(); }
  void U64(uint64_t& v) { v = r.U64(); }
  void F32(float& v) { v = r.F32(); }
  void U256(sv2::U256& v) { v = r.U256Value(); }
  void Str(std::string& v, absl::string_view f) { v = r.Str(f); }
  void B32(std::vector<uint8_t>& v, absl::string_view f) { v = r.Bytes(32, f); }
  void B64K(std::vector<uint8_t>& v, absl::string_view f) { v = r.Bytes(0xffff, f, 2); }
  void OptionU32(std::optional<uint32_t>& v, absl::string_view f) { v = r.OptionU32(f); }
  void SeqU256(std::vector<sv2::U256>& v, absl::string_view f) { v = r.SeqU256(f); }
  void SeqU32(std::vector<uint32_t>& v, absl::string_view f) { v = r.SeqU32(f); }
};

struct Out {
  WireWriter& w;
  void Bool(const bool& v) { w.Bool(v); }
  void U8(const uint8_t& v) { w.U8(v); }
  void U16(const uint16_t& v) { w.U16(v); }
  void U32(const uint32_t& v) { w.U32(v); }
  void U64(const uint64_t& v) { w.U64(v); }
  void F32(const float& v) { w.F32(v); }
  void U256(const sv2::U256& v) { w.U256Value(v); }
  void Str(const std::string& v, absl::string_view f) { w.Str(v, f); }
  void B32(const std::vector<uint8_t>& v, absl::string_view f) { w.Bytes(v, 32, f); }
  void B64K(const std::vector<uint8_t>& v, absl::string_view f) { w.Bytes(v, 0xffff, f, 2); }
  void OptionU32(const std::optional<uint32_t>& v, absl::string_view) { w.OptionU32(v); }
  void SeqU256(const std::vector<sv2::U256>& v, absl::string_view f) { w.SeqU256(v, f); }
  void SeqU32(const std::vector<uint32_t>& v, absl::string_view f) { w.SeqU32(v, f); }
};

#define SYNTH_SV2_FIELDS(T)                        \
  template <typename IO, typename M>               \
  requires std::same_as<std::remove_const_t<M>, T> \
  void Fields(IO& io, M& m)

SYNTH_SV2_FIELDS(SetupConnection) {
  io.U8(m.protocol);
  io.U16(m.min_version);
  io.U16(m.max_version);
  io.U32(m.flags);
  io.Str(m.endpoint_host, "endpoint_host");
  io.U16(m.endpoint_port);
  io.Str(m.vendor, "vendor");
  io.Str(m.hardware_version, "hardware_version");
  io.Str(m.firmware, "firmware");
  io.Str(m.device_id, "device_id");
}
SYNTH_SV2_FIELDS(SetupConnectionSuccess) {
  io.U16(m.used_version);
  io.U32(m.flags);
}
SYNTH_SV2_FIELDS(SetupConnectionError) {
  io.U32(m.flags);
  io.Str(m.error_code, "error_code");
}
SYNTH_SV2_FIELDS(ChannelEndpointChanged) { io.U32(m.channel_id); }
SYNTH_SV2_FIELDS(Reconnect) {
  io.Str(m.new_host, "new_host");
  io.U16(m.new_port);
}
SYNTH_SV2_FIELDS(OpenStandardMiningChannel) {
  io.U32(m.request_id);
  io.Str(m.user_identity, "user_identity");
  io.F32(m.nominal_hash_rate);
  io.U256(m.max_target);
}
SYNTH_SV2_FIELDS(OpenMiningChannelError) {
  io.U32(m.request_id);
  io.Str(m.error_code, "error_code");
}
SYNTH_SV2_FIELDS(OpenExtendedMiningChannel) {
  io.U32(m.request_id);
  io.Str(m.user_identity, "user_identity");
  io.F32(m.nominal_hash_rate);
  io.U256(m.max_target);
  io.U16(m.min_extranonce_size);
}
SYNTH_SV2_FIELDS(OpenExtendedMiningChannelSuccess) {
  io.U32(m.request_id);
  io.U32(m.channel_id);
  io.U256(m.target);
  io.U16(m.extranonce_size);
  io.B32(m.extranonce_prefix, "extranonce_prefix");
  io.U32(m.group_channel_id);
}
SYNTH_SV2_FIELDS(UpdateChannel) {
  io.U32(m.channel_id);
  io.F32(m.nominal_hash_rate);
  io.U256(m.maximum_target);
}
SYNTH_SV2_FIELDS(UpdateChannelError) {
  io.U32(m.channel_id);
  io.Str(m.error_code, "error_code");
}
SYNTH_SV2_FIELDS(CloseChannel) {
  io.U32(m.channel_id);
  io.Str(m.reason_code, "reason_code");
}
SYNTH_SV2_FIELDS(SetExtranoncePrefix) {
  io.U32(m.channel_id);
  io.B32(m.extranonce_prefix, "extranonce_prefix");
}
SYNTH_SV2_FIELDS(SubmitSharesExtended) {
  io.U32(m.channel_id);
  io.U32(m.sequence_number);
  io.U32(m.job_id);
  io.U32(m.nonce);
  io.U32(m.ntime);
  io.U32(m.version);
  io.B32(m.extranonce, "extranonce");
}
SYNTH_SV2_FIELDS(SubmitSharesSuccess) {
  io.U32(m.channel_id);
  io.U32(m.last_sequence_number);
  io.U32(m.new_submits_accepted_count);
  io.U64(m.new_shares_sum);
}
SYNTH_SV2_FIELDS(SubmitSharesError) {
  io.U32(m.channel_id);
  io.U32(m.sequence_number);
  io.Str(m.error_code, "error_code");
}
SYNTH_SV2_FIELDS(NewExtendedMiningJob) {
  io.U32(m.channel_id);
  io.U32(m.job_id);
  io.OptionU32(m.min_ntime, "min_ntime");
  io.U32(m.version);
  io.Bool(m.version_rolling_allowed);
  io.SeqU256(m.merkle_path, "merkle_path");
  io.B64K(m.coinbase_tx_prefix, "coinbase_tx_prefix");
  io.B64K(m.coinbase_tx_suffix, "coinbase_tx_suffix");
}
SYNTH_SV2_FIELDS(SetNewPrevHash) {
  io.U32(m.channel_id);
  io.U32(m.job_id);
  io.U256(m.prev_hash);
  io.U32(m.min_ntime);
  io.U32(m.nbits);
}
SYNTH_SV2_FIELDS(SetTarget) {
  io.U32(m.channel_id);
  io.U256(m.maximum_target);
}
SYNTH_SV2_FIELDS(SetGroupChannel) {
  io.U32(m.group_channel_id);
  io.SeqU32(m.channel_ids, "channel_ids");
}

#undef SYNTH_SV2_FIELDS

template <size_t I = 0>
absl::StatusOr<Message> DecodeAs(const Frame& frame) {
  if constexpr (I == std::variant_size_v<Message>) {
    return absl::UnimplementedError(
        absl::StrFormat("SV2 message type 0x%02x not handled", frame.msg_type));
  } else {
    using T = std::variant_alternative_t<I, Message>;
    if (frame.msg_type != T::kType) return DecodeAs<I + 1>(frame);
    T m;
    WireReader r(frame.payload);
    In in{r};
    Fields(in, m);
    if (absl::Status s = r.Finish(T::kName); !s.ok()) return s;
    return Message(std::move(m));
  }
}

template <size_t I = 0>
absl::string_view NameOf(uint8_t msg_type) {
  if constexpr (I == std::variant_size_v<Message>) {
    return {};
  } else {
    using T = std::variant_alternative_t<I, Message>;
    return msg_type == T::kType ? T::kName : NameOf<I + 1>(msg_type);
  }
}

}  // namespace

absl::StatusOr<Frame> EncodeMessage(const Message& message) {
  return std::visit(
      [](const auto& m) -> absl::StatusOr<Frame> {
        using T = std::decay_t<decltype(m)>;
        WireWriter w;
        Out out{w};
        Fields(out, m);
        absl::StatusOr<std::vector<uint8_t>> payload = std::move(w).Finish(T::kName);
        if (!payload.ok()) return payload.status();
        return Frame{T::kChannelMsg ? kChannelMsgBit : uint16_t{0}, T::kType, std::move(*payload)};
      },
      message);
}

absl::StatusOr<Message> DecodeMessage(const Frame& frame) {
  if (frame.extension() != 0) {
    return absl::UnimplementedError(
        absl::StrFormat("SV2 extension 0x%04x (message type 0x%02x) not handled", frame.extension(),
                        frame.msg_type));
  }
  return DecodeAs(frame);
}

std::string MessageName(uint8_t msg_type) {
  absl::string_view name = NameOf(msg_type);
  if (name.empty()) return absl::StrFormat("unknown(0x%02x)", msg_type);
  return std::string(name);
}

std::string MessageName(const Message& m) {
  return std::visit([](const auto& msg) { return std::string(msg.kName); }, m);
}

}  // namespace synth::sv2
