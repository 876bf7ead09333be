// File: common/stratum/codec.h
//
// The Stratum V1 message codec: newline-framed JSON-RPC lines (capped at 64 KiB), the three
// message kinds (request, response, notification), and typed accessors for every method's
// params and results that synth's client and synth-pool use. Pure and transport-free.
//
//   LineFramer framer;                       // one per connection
//   std::vector<std::string> lines;
//   RETURN_IF_ERROR(framer.Feed(bytes, &lines));   // ResourceExhausted: line over the cap
//   for (const std::string& line : lines) {
//     ASSIGN_OR_RETURN(Message m, ParseLine(line));
//     if (m.kind == Message::Kind::kNotification && m.method == "mining.set_difficulty") {
//       ASSIGN_OR_RETURN(double diff, ParseSetDifficultyParams(m.params));
//     }
//   }
//   std::string out = EncodeRequest(7, "mining.authorize", MakeAuthorizeParams("user", "x"));
//
// Contract: every parse function validates types, hex, sizes and ranges and returns
// InvalidArgument naming the method and the field ("mining.set_difficulty: difficulty -1 must be
// finite and > 0"); nothing throws (nlohmann exceptions are caught here). Errors in responses may
// be `[code, "msg", traceback]` (Slush), `{"code": c, "message": m}` (miningcore) or a bare string
// (ckpool's reject reason); all three parse to RpcError. docs/DESIGN.md §7 has the wire facts.
// Thread-safe: pure functions; a LineFramer belongs to one connection (not shared).
#ifndef SYNTH_COMMON_STRATUM_CODEC_H_
#define SYNTH_COMMON_STRATUM_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/stratum/job.h"
#include "nlohmann/json.hpp"

namespace synth::stratum {

inline constexpr size_t kMaxLineBytes = 64 * 1024;   // Longest accepted line, newline excluded.
inline constexpr double kMaxDifficulty = 1e18;       // Beyond this a difficulty is nonsense.

// Splits a byte stream into lines. A line longer than kMaxLineBytes is an error: the stream can
// no longer be trusted, and the caller should drop the connection. "\r\n" endings and empty lines
// are tolerated (empty lines are skipped).
class LineFramer {
 public:
  explicit LineFramer(size_t max_line = kMaxLineBytes) : max_line_(max_line) {}

  // Appends complete lines found in `data` to `lines`. ResourceExhausted when a line exceeds the
  // cap; the framer is then poisoned and keeps returning the error.
  absl::Status Feed(absl::string_view data, std::vector<std::string>* lines);

  // Bytes held of an incomplete line.
  size_t pending() const { return partial_.size(); }

 private:
  size_t max_line_;
  std::string partial_;
  bool poisoned_ = false;
};

// A JSON-RPC error as pools send it. `raw` keeps the original JSON text for logs.
struct RpcError {
  int code = 20;
  std::string message;
  std::string raw;
};

// Slush's classic error codes (docs/DESIGN.md §7.2).
inline constexpr int kErrOther = 20;
inline constexpr int kErrJobNotFound = 21;  // Stale.
inline constexpr int kErrDuplicate = 22;
inline constexpr int kErrLowDifficulty = 23;
inline constexpr int kErrUnauthorized = 24;
inline constexpr int kErrNotSubscribed = 25;

// One decoded line.
struct Message {
  enum class Kind { kRequest, kResponse, kNotification };
  Kind kind = Kind::kNotification;
  nlohmann::json id;            // null for notifications; an integer or string otherwise.
  std::string method;           // Requests and notifications.
  nlohmann::json params;        // Requests and notifications: always an array.
  nlohmann::json result;        // Responses.
  std::optional<RpcError> error;  // Responses with a non-null error.

  // Returns the id as an integer when it is one (our own requests use integers).
  std::optional<int64_t> IntId() const;
};

// Parses one line (without the newline). A message with a method and a non-null id is a
// request, with a method and a null or absent id a notification, and with result/error a
// response. Anything else is InvalidArgument.
absl::StatusOr<Message> ParseLine(absl::string_view line);

// Parses an `error` member: null → nullopt; array, object or string → RpcError.
absl::StatusOr<std::optional<RpcError>> ParseError(const nlohmann::json& error);

// Encoders. Each returns one line including the trailing '\n'.
std::string EncodeRequest(const nlohmann::json& id, absl::string_view method,
                          const nlohmann::json& params);
std::string EncodeNotification(absl::string_view method, const nlohmann::json& params);
std::string EncodeResponse(const nlohmann::json& id, const nlohmann::json& result,
                           const std::optional<RpcError>& error = std::nullopt);
// Returns the Slush form [code, message, null].
nlohmann::json ErrorToJson(const RpcError& error);

// ---- mining.subscribe ----
struct SubscribeParams {
  std::string user_agent;
  std::optional<std::string> session_id;  // Asks the pool to resume this session.
};
nlohmann::json MakeSubscribeParams(const SubscribeParams& p);
absl::StatusOr<SubscribeParams> ParseSubscribeParams(const nlohmann::json& params);

struct SubscribeResult {
  std::vector<std::pair<std::string, std::string>> subscriptions;  // (method, id)
  std::string session_id;  // The mining.notify subscription id, or empty.
  std::vector<uint8_t> extranonce1;
  int extranonce2_size = 0;
};
nlohmann::json MakeSubscribeResult(const SubscribeResult& r);
absl::StatusOr<SubscribeResult> ParseSubscribeResult(const nlohmann::json& result);

// ---- mining.authorize ----
struct AuthorizeParams {
  std::string user;
  std::string pass;  // A secret: never log it.
};
nlohmann::json MakeAuthorizeParams(const AuthorizeParams& p);
absl::StatusOr<AuthorizeParams> ParseAuthorizeParams(const nlohmann::json& params);

// Parses a `true`/`false` result (authorize, submit, extranonce.subscribe). Null is false.
absl::StatusOr<bool> ParseBoolResult(const nlohmann::json& result, absl::string_view method);

// ---- mining.set_difficulty / mining.suggest_difficulty: [difficulty] ----
// The difficulty must be finite, > 0 and <= kMaxDifficulty.
absl::StatusOr<double> ParseDifficultyParams(const nlohmann::json& params,
                                             absl::string_view method);
absl::Status CheckDifficulty(double difficulty, absl::string_view what);

// ---- mining.set_extranonce: [extranonce1_hex, extranonce2_size] ----
struct Extranonce {
  std::vector<uint8_t> extranonce1;
  int extranonce2_size = 0;
};
nlohmann::json MakeSetExtranonceParams(const Extranonce& e);
absl::StatusOr<Extranonce> ParseSetExtranonceParams(const nlohmann::json& params);

// ---- mining.set_version_mask: [mask_hex] ----
nlohmann::json MakeSetVersionMaskParams(uint32_t mask);
absl::StatusOr<uint32_t> ParseSetVersionMaskParams(const nlohmann::json& params);

// ---- mining.configure (BIP 310) ----
struct ConfigureParams {
  bool version_rolling = false;
  uint32_t version_mask = 0;
  int version_min_bit_count = 0;
  std::optional<double> minimum_difficulty;
  bool subscribe_extranonce = false;
};
nlohmann::json MakeConfigureParams(const ConfigureParams& p);
absl::StatusOr<ConfigureParams> ParseConfigureParams(const nlohmann::json& params);

struct ConfigureResult {
  bool version_rolling = false;   // The pool agreed to version rolling...
  uint32_t version_mask = 0;      // ...with this mask.
  bool minimum_difficulty = false;
  bool subscribe_extranonce = false;
};
nlohmann::json MakeConfigureResult(const ConfigureResult& r);
absl::StatusOr<ConfigureResult> ParseConfigureResult(const nlohmann::json& result);

// ---- client.reconnect: [host[, port[, wait_s]]] (port an int or a string) ----
struct ReconnectParams {
  std::string host;               // Empty: the same host.
  std::optional<int> port;
  int wait_s = 0;
};
nlohmann::json MakeReconnectParams(const ReconnectParams& p);
absl::StatusOr<ReconnectParams> ParseReconnectParams(const nlohmann::json& params);

// ---- client.show_message: [text] ----
absl::StatusOr<std::string> ParseShowMessageParams(const nlohmann::json& params);

// ---- mining.submit: [worker, job_id, extranonce2, ntime, nonce(, version_bits)] ----
struct SubmitParams {
  std::string worker;
  std::string job_id;
  std::vector<uint8_t> extranonce2;
  uint32_t ntime = 0;
  uint32_t nonce = 0;
  std::optional<uint32_t> version_bits;

  friend bool operator==(const SubmitParams&, const SubmitParams&) = default;
};
nlohmann::json MakeSubmitParams(const SubmitParams& p);
absl::StatusOr<SubmitParams> ParseSubmitParams(const nlohmann::json& params);

}  // namespace synth::stratum

#endif  // SYNTH_COMMON_STRATUM_CODEC_H_
