// File: master/stratum/sv2_session.h
//
// One Stratum V2 connection's mining-protocol logic, without any I/O: the SV2 counterpart of
// Session (session.h), with the same role for the client. Frames in (already decrypted by the
// transport, sv2_transport.h), frames out through a Delegate, time passed in explicitly.
//
//   Sv2Session s(config, &delegate, /*connection=*/1, url.ToString());
//   s.Begin(now);                                        // SetupConnection, then the channel
//   RETURN_IF_ERROR(s.OnFrame(frame, now));              // error: drop the connection
//   s.Submit(share, [](const SubmitResult& r) { ... }, now);
//   RETURN_IF_ERROR(s.Tick(now));                        // timeouts; error: drop the connection
//
// What it does (docs/DESIGN.md §9.3): SetupConnection (mining protocol, version 2,
// REQUIRES_VERSION_ROLLING when config.version_rolling), then one extended channel
// (OpenExtendedMiningChannel). Ready once the channel is open. Jobs become the same ClientJobs
// the V1 session produces: coinb1 = coinbase_tx_prefix, extranonce1 = the channel's extranonce
// prefix, extranonce2_size = the channel's extranonce_size (capped at 8; extra bytes are sent as
// zeros, placed at the front of coinb2), coinb2 = coinbase_tx_suffix, merkle branch, version,
// nbits and prev hash from SetNewPrevHash, ntime = min_ntime, difficulty = diff1 / target
// (never easier than the pool's target), version_mask = config.version_mask when the job allows
// rolling. Future jobs wait for the SetNewPrevHash naming them, which makes them the only valid
// job (clean_jobs); a job with min_ntime runs at once next to the earlier ones (not clean). The
// first job of every connection is clean (SV2 has no session resumption). SetTarget applies to
// later jobs and to future jobs not yet activated; SetExtranoncePrefix to later jobs.
//
// Shares go out as SubmitSharesExtended with increasing sequence numbers; SubmitShares.Success
// accepts every unanswered submit up to its last_sequence_number, SubmitShares.Error gives one
// its verdict: "stale-share"/"invalid-job-id" → stale (code 21), "duplicate-share" → rejected
// 22, "difficulty-too-low" → rejected 23, anything else → rejected 20, reason = the error code.
// SetNominalHashrate and SuggestDifficulty send UpdateChannel (nominal rate, maximum target), at
// most once per config.update_interval. Reconnect goes to the delegate like client.reconnect.
//
// Tick fails when setup and channel opening take longer than request_timeout, when nothing
// arrives for stall_timeout once ready, or when a submit goes unanswered for submit_timeout (the
// share stays pending, as in V1). A malformed message, a refused setup or channel, a closed
// channel or a job that breaks the job limits (common/stratum/job.h) returns an error: the caller
// drops the connection. Unknown messages and extensions are logged and ignored.
// Thread-compatible: one thread (the client's io thread) at a time.
#ifndef SYNTH_MASTER_STRATUM_SV2_SESSION_H_
#define SYNTH_MASTER_STRATUM_SV2_SESSION_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/sv2/messages.h"
#include "master/stratum/session.h"
#include "master/stratum/types.h"

namespace synth::stratum {

struct Sv2SessionConfig {
  std::string user;                      // OpenExtendedMiningChannel.user_identity.
  std::string user_agent = "synth/0.1";  // SetupConnection.firmware (vendor "synth").
  std::string endpoint_host;             // SetupConnection.endpoint_host/port: the URL's.
  int endpoint_port = 0;
  bool version_rolling = true;               // Sets REQUIRES_VERSION_ROLLING.
  uint32_t version_mask = 0x1fffe000;        // Bits the master rolls when a job allows it.
  int min_extranonce_size = 4;               // Asked for when opening the channel (1..32).
  double nominal_hash_rate = 0;              // hashes/s, at open; SetNominalHashrate later.
  std::optional<double> suggest_difficulty;  // Sent as the channel's maximum target.
  absl::Duration update_interval = absl::Seconds(10);  // UpdateChannel at most this often.
  absl::Duration request_timeout = absl::Seconds(10);
  absl::Duration submit_timeout = absl::Seconds(30);
  absl::Duration stall_timeout = absl::Seconds(90);
};

class Sv2Session {
 public:
  class Delegate {
   public:
    virtual ~Delegate() = default;
    virtual void SendFrame(sv2::Frame frame) = 0;  // Plaintext; the transport encrypts.
    virtual void OnReady() = 0;                    // The extended channel is open.
    virtual void OnJob(const ClientJob& job) = 0;
    virtual void OnReconnect(const ReconnectParams& p) = 0;
  };
  using SubmitDone = Session::SubmitDone;

  Sv2Session(Sv2SessionConfig config, Delegate* delegate, uint64_t connection, std::string url);

  void Begin(absl::Time now);
  absl::Status OnFrame(const sv2::Frame& frame, absl::Time now);
  absl::Status Tick(absl::Time now);
  // Sends a share for a job this session delivered; `done` runs exactly once. Without an open
  // channel it ends at once: kPoolDown, not sent.
  void Submit(const ClientShare& share, SubmitDone done, absl::Time now);
  // Ends every pending submit with `outcome` (the client stops).
  void AbortPending(SubmitOutcome outcome, const std::string& reason);
  // Removes and returns the submits still waiting for an answer (the connection is gone).
  std::vector<Session::Unanswered> TakePendingSubmits();
  // The cluster's rate in hashes/s, for UpdateChannel.
  void SetNominalHashrate(double hashes_per_second, absl::Time now);
  // Asks for shares no easier than `difficulty` (UpdateChannel.maximum_target).
  void SuggestDifficulty(double difficulty, absl::Time now);

  bool ready() const { return channel_open_; }
  bool KnowsJob(const std::string& job_id) const { return jobs_.contains(job_id); }
  bool resumed() const { return false; }  // SV2 connections never resume.
  size_t pending_submits() const { return pending_.size(); }
  uint32_t channel_id() const { return channel_id_; }
  const std::vector<uint8_t>& extranonce1() const { return extranonce_prefix_; }
  int extranonce_size() const { return extranonce_size_; }
  uint32_t version_mask() const { return rolling_allowed_ ? config_.version_mask : 0; }
  double difficulty() const { return difficulty_; }
  const std::set<std::string>& jobs() const { return jobs_; }

 private:
  struct Pending {
    ClientShare share;
    SubmitDone done;
    absl::Time deadline;
  };
  struct FutureJob {
    sv2::NewExtendedMiningJob job;
    std::vector<uint8_t> extranonce_prefix;  // In force when it arrived.
  };

  void Send(const sv2::Message& m);
  absl::Status OnMessage(sv2::Message m);
  absl::Status OnChannelMessage(sv2::Message m);  // Once the channel is open.
  absl::Status OnSetupSuccess(const sv2::SetupConnectionSuccess& m);
  absl::Status OnChannelOpen(const sv2::OpenExtendedMiningChannelSuccess& m);
  absl::Status OnNewJob(sv2::NewExtendedMiningJob m);
  absl::Status OnPrevHash(const sv2::SetNewPrevHash& m);
  absl::Status OnTarget(const sv2::U256& target);
  absl::Status OnExtranoncePrefix(const sv2::SetExtranoncePrefix& m);
  void OnSubmitSuccess(const sv2::SubmitSharesSuccess& m);
  void OnSubmitError(const sv2::SubmitSharesError& m);
  bool ForUs(uint32_t channel_id) const;
  absl::Status Deliver(const sv2::NewExtendedMiningJob& m,
                       const std::vector<uint8_t>& extranonce_prefix, uint32_t ntime, bool clean);
  void RememberJob(const std::string& job_id, bool clean);
  void MaybeUpdateChannel(absl::Time now);
  sv2::U256 MaximumTarget() const;

  // nominal_hash_rate and suggest_difficulty change with SetNominalHashrate/SuggestDifficulty.
  Sv2SessionConfig config_;
  Delegate* const delegate_;
  const uint64_t connection_;
  const std::string url_;
  absl::Time begun_ = absl::InfiniteFuture();
  absl::Time last_rx_ = absl::InfiniteFuture();
  bool setup_done_ = false;
  bool channel_open_ = false;
  bool rolling_allowed_ = true;  // False when the pool requires a fixed version.
  bool first_job_ = true;
  uint32_t channel_id_ = 0;
  uint32_t group_channel_id_ = 0;
  std::vector<uint8_t> extranonce_prefix_;
  int extranonce_size_ = 0;
  double difficulty_ = 1;
  // From the last SetNewPrevHash: what jobs with min_ntime build on.
  std::optional<sv2::SetNewPrevHash> prev_hash_;
  std::map<uint32_t, FutureJob> future_jobs_;
  std::set<std::string> jobs_;
  std::deque<std::string> job_order_;
  uint32_t next_sequence_ = 0;
  std::map<uint32_t, Pending> pending_;  // By sequence number.
  bool update_due_ = false;              // Rate or maximum target changed since the last update.
  absl::Time next_update_ = absl::InfinitePast();
};

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_SV2_SESSION_H_
