// Internal to synth-pool: the server state and one session per connection. Everything here runs
// on the io thread, except Stats(), which takes stats_mu_.
#ifndef SYNTH_MASTER_POOL_SERVER_INTERNAL_H_
#define SYNTH_MASTER_POOL_SERVER_INTERNAL_H_

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "asio.hpp"
#include "common/stratum/codec.h"
#include "common/stratum/job.h"
#include "common/stratum/server_session.h"
#include "common/stratum/share_check.h"
#include "master/pool/server.h"

namespace synth::pool {

class Session;
class Sv2Server;

class PoolServer::Impl {
 public:
  explicit Impl(const PoolOptions& options);
  ~Impl();
  absl::Status Listen();
  void Run();  // Starts the io thread.
  void Shutdown();

  // Runs `fn` on the io thread and waits for it.
  void OnIo(std::function<void()> fn);

  // ---- io thread ----
  void MakeJob(bool clean);
  void NotifyJob(Session& s, const stratum::StratumJob& job);  // Encodes the notify.
  void NotifyJob(Session& s, const stratum::StratumJob& job, stratum::SharedLine line);
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
    stratum::ServerSession::TermsList terms;
    std::set<std::string> seen_shares;
  };
  std::map<std::string, Resumable> resumable_;  // session id → what a resumed session keeps
  double difficulty_;
  int reject_all_code_ = 0;
  bool stall_ = false;

  mutable absl::Mutex stats_mu_;
  PoolStats stats_ ABSL_GUARDED_BY(stats_mu_);
  int port_ = 0;
  std::unique_ptr<Sv2Server> sv2_;  // The SV2 side, when enabled.

 private:
  void Accept();
  void ScheduleJob();
  void ScheduleStats();
  void WriteStatsFile();
};

// One client connection: the transport and the pool's policy around the shared session core
// (common/stratum/server_session.h).
class Session : public std::enable_shared_from_this<Session>, public stratum::ServerSessionHost {
 public:
  Session(PoolServer::Impl& server, asio::ip::tcp::socket socket);
  void Start();
  void Close();
  // Writes `line` as is (raw faults); protocol messages go through core().
  void Send(std::string line);
  stratum::ServerSession& core() { return core_; }

  // ---- ServerSessionHost ----
  void Write(stratum::SharedLine line) override;
  absl::StatusOr<std::optional<stratum::Extranonce>> OnSubscribe(
      const stratum::SubscribeParams& p) override;
  void OnSubscribed() override;
  bool OnAuthorize(const stratum::AuthorizeParams& p) override;
  // ExtranonceSubscribeMode::kAfterAuthorize: authorize is answered 50 ms later, as ckpool's
  // authorizer thread does, and extranonce.subscribe before that is ignored.
  bool DeferAuthorize() const override;
  bool OnExtranonceSubscribe() override;
  uint32_t ServerVersionMask() const override;
  void OnDifficultyRequest(double difficulty, bool minimum) override;
  void OnSubmit(stratum::SubmitRequest request) override;
  void OnSubmitRefused(const stratum::SubmitParams* params, int code, bool rate_limited) override;
  void OnClientResponse(const stratum::Message& m) override;

  // Pool state of the session (io thread).
  bool resumed_ = false;
  double difficulty_ = 1;      // What the pool wants this session at.
  double min_difficulty_ = 0;  // BIP 310 minimum-difficulty.
  std::set<std::string> seen_shares_;

 private:
  void Read();
  void WriteNext();
  void CountReject(int code);

  PoolServer::Impl& server_;
  asio::ip::tcp::socket socket_;
  stratum::ServerSession core_;
  std::array<char, 4096> buf_;
  std::deque<stratum::SharedLine> out_;
  bool writing_ = false;
  bool closed_ = false;
};

}  // namespace synth::pool

#endif  // SYNTH_MASTER_POOL_SERVER_INTERNAL_H_
