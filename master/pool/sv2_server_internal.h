// Internal to synth-pool: the SV2 listener and its connections (sv2_server.h says what they do).
// Everything here runs on the pool's io thread; counters go to PoolServer::Impl::stats_ under
// its stats_mu_.
#ifndef SYNTH_MASTER_POOL_SV2_SERVER_INTERNAL_H_
#define SYNTH_MASTER_POOL_SV2_SERVER_INTERNAL_H_

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "asio.hpp"
#include "common/stratum/job.h"
#include "common/sv2/messages.h"
#include "common/stratum/share_check.h"
#include "common/sv2/secure_channel.h"
#include "master/pool/server_internal.h"
#include "master/pool/sv2_server.h"

namespace synth::pool {

using stratum::JobTerms;
using stratum::ShareVerdict;

class Sv2Connection;

// One pool job as the SV2 channels see it: built on the prev hash of the last clean job (SV2
// jobs without a new prev hash keep the current one).
struct Sv2Job {
  uint32_t id = 0;
  std::string pool_job_id;     // The V1 side's job (its validity decides staleness).
  stratum::StratumJob job;     // prev_hash and nbits as the channels were told.
  bool new_prev_hash = false;  // Sent as a future job and its SetNewPrevHash.
};

class Sv2Server {
 public:
  // Loads or creates the authority key, makes this process's static key and binds.
  static absl::StatusOr<std::unique_ptr<Sv2Server>> Create(PoolServer::Impl& pool,
                                                           const Sv2Options& options);
  void Start();  // Accepts connections (io thread, or before it runs).
  void Stop();   // Closes the listener and every connection.
  int port() const { return port_; }
  std::string Url() const;  // stratum2+tcp://HOST:PORT/AUTHORITY_KEY

  // ---- control (io thread) ----
  void OnJob(const stratum::StratumJob& job);
  void SetDifficulty(double difficulty);
  void DropAll();
  void ChangeExtranonce();
  void SendReconnect(const std::string& host, int port);

  // ---- for connections (io thread) ----
  const Sv2Job* FindJob(uint32_t id) const;  // Valid: not cleaned, still kept by the pool.
  const Sv2Job* current_job() const { return jobs_.empty() ? nullptr : &jobs_.back(); }
  absl::StatusOr<sv2::ResponderCredentials> Credentials() const;  // A fresh certificate.
  uint32_t NextChannelId() { return ++next_channel_id_; }
  void Forget(Sv2Connection* c) { connections_.erase(c); }
  PoolServer::Impl& pool() { return pool_; }
  const Sv2Options& options() const { return options_; }

 private:
  Sv2Server(PoolServer::Impl& pool, const Sv2Options& options);
  void Accept();
  template <typename F>
  void ForEach(F f) {
    for (Sv2Connection* c : std::vector<Sv2Connection*>(connections_.begin(), connections_.end())) {
      f(*c);
    }
  }

  PoolServer::Impl& pool_;
  const Sv2Options options_;
  sv2::SecretKey authority_;
  sv2::XOnly authority_public_{};
  sv2::SecretKey static_key_;
  sv2::XOnly static_public_{};
  asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::set<Sv2Connection*> connections_;
  std::deque<Sv2Job> jobs_;  // Valid jobs, oldest first.
  uint32_t next_job_id_ = 0;
  uint32_t next_channel_id_ = 0;
};

// One SV2 client connection.
class Sv2Connection : public std::enable_shared_from_this<Sv2Connection> {
 public:
  Sv2Connection(Sv2Server& server, asio::ip::tcp::socket socket,
                sv2::ResponderCredentials credentials);
  void Start();
  void Close();
  // ---- io thread, from the server ----
  void SendJob(const Sv2Job& job);
  void SetPoolDifficulty(double difficulty);
  void ChangeExtranonce();
  void SendMessage(const sv2::Message& m);
  bool channel_open() const { return open_; }

 private:
  void Read();
  void Write();
  void Send(std::vector<uint8_t> bytes);
  void Drop(const absl::Status& why);
  absl::Status OnBytes(std::span<const uint8_t> bytes);
  absl::Status OnMessage(const sv2::Message& m);
  void OnSetup(const sv2::SetupConnection& m);
  absl::Status OnOpenChannel(const sv2::OpenExtendedMiningChannel& m);
  void OnUpdateChannel(const sv2::UpdateChannel& m);
  void OnSubmit(const sv2::SubmitSharesExtended& m);
  void RejectShare(const sv2::SubmitSharesExtended& m, int v1_code, std::string error_code);
  void UpdateTarget();
  // Sends `m`, then closes once it is written (SetupConnection.Error).
  void SendAndClose(const sv2::Message& m);

  Sv2Server& server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer handshake_timer_;
  std::unique_ptr<sv2::SecureChannel> channel_;
  std::array<uint8_t, 8192> buf_;
  std::deque<std::vector<uint8_t>> out_;
  bool writing_ = false;
  bool close_after_write_ = false;
  bool closed_ = false;
  // Protocol state.
  bool setup_ = false;
  bool open_ = false;
  uint32_t channel_id_ = 0;
  std::string user_;
  std::vector<uint8_t> extranonce_prefix_;
  int extranonce_size_ = 4;
  uint32_t version_mask_ = 0;
  double pool_difficulty_ = 1;          // The pool's current difficulty.
  double floor_difficulty_ = 0;         // From the client's maximum target.
  double difficulty_ = 1;               // What the channel was last told (SetTarget).
  std::map<uint32_t, JobTerms> terms_;  // SV2 job id → terms when it was sent.
  std::set<std::string> seen_shares_;
};

}  // namespace synth::pool

#endif  // SYNTH_MASTER_POOL_SV2_SERVER_INTERNAL_H_
