// File: common/sv2/messages.h
//
// The SV2 messages synth speaks (docs/DESIGN.md §9.3): the common ones, and the mining protocol
// over one extended channel. Each struct names its message type, wire name and channel_msg bit
// once (kType, kName, kChannelMsg); the codec and MessageName() read them from there.
//
//   ASSIGN_OR_RETURN(Frame f, EncodeMessage(SetTarget{.channel_id = 1, .maximum_target = t}));
//   ASSIGN_OR_RETURN(Message m, DecodeMessage(frame));
//   if (auto* job = std::get_if<NewExtendedMiningJob>(&m)) ...
//
// DecodeMessage: Unimplemented for a message type or extension synth does not handle (the
// caller logs and ignores it, as the specification asks), InvalidArgument for a malformed
// payload (truncated, a field over its limit, trailing bytes). Never throws. Thread-safe.
#ifndef SYNTH_COMMON_SV2_MESSAGES_H_
#define SYNTH_COMMON_SV2_MESSAGES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sv2/frame.h"
#include "common/sv2/wire.h"

namespace synth::sv2 {

// SetupConnection.protocol and the mining protocol's flags (specification chapter 5.3.1).
inline constexpr uint8_t kMiningProtocol = 0;
inline constexpr uint16_t kProtocolVersion = 2;
inline constexpr uint32_t kRequiresStandardJobs = 1u << 0;  // SetupConnection.flags
inline constexpr uint32_t kRequiresWorkSelection = 1u << 1;
inline constexpr uint32_t kRequiresVersionRolling = 1u << 2;
inline constexpr uint32_t kRequiresFixedVersion = 1u << 0;  // SetupConnection.Success.flags
inline constexpr uint32_t kRequiresExtendedChannels = 1u << 1;
// extranonce_prefix + extranonce of a channel: SubmitSharesExtended.extranonce is a B0_32.
inline constexpr size_t kMaxFullExtranonce = 32;

#define SYNTH_SV2_MESSAGE(Struct, type, name, channel) \
  static constexpr uint8_t kType = type;               \
  static constexpr absl::string_view kName = name;     \
  static constexpr bool kChannelMsg = channel;         \
  friend bool operator==(const Struct&, const Struct&) = default

struct SetupConnection {
  SYNTH_SV2_MESSAGE(SetupConnection, 0x00, "SetupConnection", false);
  uint8_t protocol = kMiningProtocol;
  uint16_t min_version = kProtocolVersion;
  uint16_t max_version = kProtocolVersion;
  uint32_t flags = 0;
  std::string endpoint_host;
  uint16_t endpoint_port = 0;
  std::string vendor;
  std::string hardware_version;
  std::string firmware;
  std::string device_id;
};
struct SetupConnectionSuccess {
  SYNTH_SV2_MESSAGE(SetupConnectionSuccess, 0x01, "SetupConnection.Success", false);
  uint16_t used_version = kProtocolVersion;
  uint32_t flags = 0;
};
struct SetupConnectionError {
  SYNTH_SV2_MESSAGE(SetupConnectionError, 0x02, "SetupConnection.Error", false);
  uint32_t flags = 0;
  std::string error_code;
};
struct ChannelEndpointChanged {
  SYNTH_SV2_MESSAGE(ChannelEndpointChanged, 0x03, "ChannelEndpointChanged", true);
  uint32_t channel_id = 0;
};
struct Reconnect {
  SYNTH_SV2_MESSAGE(Reconnect, 0x04, "Reconnect", false);
  std::string new_host;   // Empty: the present host.
  uint16_t new_port = 0;  // 0: the present port.
};
struct OpenStandardMiningChannel {
  SYNTH_SV2_MESSAGE(OpenStandardMiningChannel, 0x10, "OpenStandardMiningChannel", false);
  uint32_t request_id = 0;
  std::string user_identity;
  float nominal_hash_rate = 0;  // hashes/s
  U256 max_target{};
};
struct OpenMiningChannelError {
  SYNTH_SV2_MESSAGE(OpenMiningChannelError, 0x12, "OpenMiningChannel.Error", false);
  uint32_t request_id = 0;
  std::string error_code;
};
struct OpenExtendedMiningChannel {
  SYNTH_SV2_MESSAGE(OpenExtendedMiningChannel, 0x13, "OpenExtendedMiningChannel", false);
  uint32_t request_id = 0;
  std::string user_identity;
  float nominal_hash_rate = 0;  // hashes/s
  U256 max_target{};
  uint16_t min_extranonce_size = 0;
};
struct OpenExtendedMiningChannelSuccess {
  SYNTH_SV2_MESSAGE(OpenExtendedMiningChannelSuccess, 0x14, "OpenExtendedMiningChannel.Success",
                    false);
  uint32_t request_id = 0;
  uint32_t channel_id = 0;
  U256 target{};
  uint16_t extranonce_size = 0;
  std::vector<uint8_t> extranonce_prefix;  // B0_32
  uint32_t group_channel_id = 0;
};
struct UpdateChannel {
  SYNTH_SV2_MESSAGE(UpdateChannel, 0x16, "UpdateChannel", true);
  uint32_t channel_id = 0;
  float nominal_hash_rate = 0;  // hashes/s
  U256 maximum_target{};
};
struct UpdateChannelError {
  SYNTH_SV2_MESSAGE(UpdateChannelError, 0x17, "UpdateChannel.Error", true);
  uint32_t channel_id = 0;
  std::string error_code;
};
struct CloseChannel {
  SYNTH_SV2_MESSAGE(CloseChannel, 0x18, "CloseChannel", true);
  uint32_t channel_id = 0;
  std::string reason_code;
};
struct SetExtranoncePrefix {
  SYNTH_SV2_MESSAGE(SetExtranoncePrefix, 0x19, "SetExtranoncePrefix", true);
  uint32_t channel_id = 0;
  std::vector<uint8_t> extranonce_prefix;  // B0_32
};
struct SubmitSharesExtended {
  SYNTH_SV2_MESSAGE(SubmitSharesExtended, 0x1b, "SubmitSharesExtended", true);
  uint32_t channel_id = 0;
  uint32_t sequence_number = 0;
  uint32_t job_id = 0;
  uint32_t nonce = 0;
  uint32_t ntime = 0;
  uint32_t version = 0;             // The full header version.
  std::vector<uint8_t> extranonce;  // B0_32, exactly the channel's extranonce_size
};
struct SubmitSharesSuccess {
  SYNTH_SV2_MESSAGE(SubmitSharesSuccess, 0x1c, "SubmitShares.Success", true);
  uint32_t channel_id = 0;
  uint32_t last_sequence_number = 0;
  uint32_t new_submits_accepted_count = 0;
  uint64_t new_shares_sum = 0;
};
struct SubmitSharesError {
  SYNTH_SV2_MESSAGE(SubmitSharesError, 0x1d, "SubmitShares.Error", true);
  uint32_t channel_id = 0;
  uint32_t sequence_number = 0;
  std::string error_code;
};
struct NewExtendedMiningJob {
  SYNTH_SV2_MESSAGE(NewExtendedMiningJob, 0x1f, "NewExtendedMiningJob", true);
  uint32_t channel_id = 0;
  uint32_t job_id = 0;
  std::optional<uint32_t> min_ntime;  // Empty: a future job, activated by SetNewPrevHash.
  uint32_t version = 0;
  bool version_rolling_allowed = false;
  std::vector<U256> merkle_path;            // SEQ0_255[U256]
  std::vector<uint8_t> coinbase_tx_prefix;  // B0_64K
  std::vector<uint8_t> coinbase_tx_suffix;  // B0_64K
};
struct SetNewPrevHash {
  SYNTH_SV2_MESSAGE(SetNewPrevHash, 0x20, "SetNewPrevHash", true);
  uint32_t channel_id = 0;
  uint32_t job_id = 0;
  U256 prev_hash{};  // Header bytes 4..35.
  uint32_t min_ntime = 0;
  uint32_t nbits = 0;
};
struct SetTarget {
  SYNTH_SV2_MESSAGE(SetTarget, 0x21, "SetTarget", true);
  uint32_t channel_id = 0;
  U256 maximum_target{};
};
struct SetGroupChannel {
  SYNTH_SV2_MESSAGE(SetGroupChannel, 0x25, "SetGroupChannel", false);
  uint32_t group_channel_id = 0;
  std::vector<uint32_t> channel_ids;  // SEQ0_64K[U32]
};

#undef SYNTH_SV2_MESSAGE

using Message =
    std::variant<SetupConnection, SetupConnectionSuccess, SetupConnectionError,
                 ChannelEndpointChanged, Reconnect, OpenStandardMiningChannel,
                 OpenMiningChannelError, OpenExtendedMiningChannel,
                 OpenExtendedMiningChannelSuccess, UpdateChannel, UpdateChannelError, CloseChannel,
                 SetExtranoncePrefix, SubmitSharesExtended, SubmitSharesSuccess, SubmitSharesError,
                 NewExtendedMiningJob, SetNewPrevHash, SetTarget, SetGroupChannel>;

// Serializes `m` into a frame (extension 0, the channel bit from the table). InvalidArgument
// when a field is over its wire limit.
absl::StatusOr<Frame> EncodeMessage(const Message& m);

// Parses a frame (see the file comment for the errors).
absl::StatusOr<Message> DecodeMessage(const Frame& frame);

// The wire name of a message type ("SetTarget"), or "unknown(0x..)".
std::string MessageName(uint8_t msg_type);
std::string MessageName(const Message& m);

}  // namespace synth::sv2

#endif  // SYNTH_COMMON_SV2_MESSAGES_H_
