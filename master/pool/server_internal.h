// Internal to synth-pool: the server state and one session per connection. Everything here runs
// on the io thread, except Stats(), which takes stats_mu_.
#ifndef SYNTH_MASTER_POOL_SERVER_INTERNAL_H_
#define SYNTH_MASTER_POOL_SERVER_INTERNAL_H_

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "asio.hpp"
#include "common/stratum/codec.h"
#include "common/stratum/job.h"
#include "master/pool/server.h"
#include "master/pool/share_check.h"

namespace synth::pool {

class Session;

class PoolServer::Impl {
 public:
  explicit Impl(const PoolOptions& options);
  absl::Status Listen();
  void Run();  // Starts the io thread.
  void Shutdown();

  // Runs `fn` on the io thread and waits for it.
  void OnIo(std::function<void()> fn);

  // ---- io thread ----
  void MakeJob(bool clean);
  void NotifyJob(Session& s, const stratum::StratumJob& job);
  const stratum::StratumJob* FindJob(const std::string& job_id) const;
  std::vector<uint8_t> NextExtranonce1();
  void Forget(Session* s);
  template <typename F>
  void ForEachSession(F f) {
    for (Session* s : std::vector<Session*>(sessions_.begin(), sessions_.end())) f(*s);
  }
  const stratum::StratumJob* current_job() const {
    return jobs_.empty() ? nullptr : &jobs_.back();
  }

  const PoolOptions options_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_{io_};
  asio::steady_timer job_timer_{io_};
  asio::steady_timer stats_timer_{io_};
  std::thread thread_;
  bool stopped_ = false;
  std::set<Session*> sessions_;
  std::deque<stratum::StratumJob> jobs_;        // Valid jobs, oldest first.
  uint64_t job_seq_ = 0;
  uint32_t extranonce_seq_ = 0;
  uint32_t epoch_ = 0;  // options_.epoch, or random: see PoolOptions::epoch.
  struct Resumable {
    std::vector<uint8_t> extranonce1;
    std::map<std::string, JobTerms> terms;
    std::set<std::string> seen_shares;
  };
  std::map<std::string, Resumable> resumable_;  // session id → what a resumed session keeps
  double difficulty_;
  int reject_all_code_ = 0;
  bool stall_ = false;

  mutable absl::Mutex stats_mu_;
  PoolStats stats_ ABSL_GUARDED_BY(stats_mu_);
  int port_ = 0;

 private:
  void Accept();
  void ScheduleJob();
  void ScheduleStats();
  void WriteStatsFile();
};

// One client connection.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(PoolServer::Impl& server, asio::ip::tcp::socket socket);
  void Start();
  void Close();
  void Send(std::string line);

  // Protocol state (io thread).
  bool subscribed_ = false;
  bool extranonce_subscribed_ = false;
  bool resumed_ = false;
  uint32_t version_mask_ = 0;
  double difficulty_ = 1;
  double min_difficulty_ = 0;
  std::vector<uint8_t> extranonce1_;
  int extranonce2_size_ = 4;
  std::set<std::string> authorized_;
  std::map<std::string, JobTerms> terms_;       // job id → terms at notify
  std::set<std::string> seen_shares_;
  int64_t next_request_id_ = 1000000;

 private:
  void Read();
  void Write();
  void HandleLine(const std::string& line);
  void HandleRequest(const stratum::Message& m);
  nlohmann::json Configure(const nlohmann::json& params, std::optional<stratum::RpcError>* err);
  nlohmann::json Subscribe(const nlohmann::json& params);
  void Submit(const stratum::Message& m);
  void FinishAuthorize(const nlohmann::json& id, const std::string& user, bool ok);
  // ExtranonceSubscribeMode::kAfterAuthorize: answers authorize 50 ms later, as ckpool's
  // authorizer thread does.
  void AuthorizeLater(const nlohmann::json& id, const std::string& user, bool ok);
  void Reply(const nlohmann::json& id, const nlohmann::json& result,
             std::optional<stratum::RpcError> error = std::nullopt);
  void CountReject(int code);

  PoolServer::Impl& server_;
  asio::ip::tcp::socket socket_;
  std::array<char, 4096> buf_;
  stratum::LineFramer framer_;
  std::deque<std::string> out_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace synth::pool

#endif  // SYNTH_MASTER_POOL_SERVER_INTERNAL_H_
