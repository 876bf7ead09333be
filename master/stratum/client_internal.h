// Internal to the Stratum client: the io-thread state behind client.h.
#ifndef SYNTH_MASTER_STRATUM_CLIENT_INTERNAL_H_
#define SYNTH_MASTER_STRATUM_CLIENT_INTERNAL_H_

#include <atomic>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "asio.hpp"
#include "master/stratum/client.h"
#include "master/stratum/failover_policy.h"
#include "master/stratum/pool_link.h"
#include "master/stratum/pool_url.h"

namespace synth::stratum {

class Client::Impl {
 public:
  Impl(ClientOptions options, ClientCallbacks callbacks, std::vector<PoolUrl> urls);
  void Start();
  void Stop();
  void Submit(const ClientShare& share, Session::SubmitDone done);
  void SuggestDifficulty(double difficulty);
  void SetNominalHashrate(double hashes_per_second);
  ClientStatus Status() const;
  absl::Status SwitchPool(int index);
  absl::StatusOr<int> AddAndSwitchPool(PoolEndpoint pool);

 private:
  struct Conn : PoolLink::Events {
    Impl* impl = nullptr;
    int pool = 0;
    uint64_t id = 0;
    PoolUrl url;
    bool probe = false;
    bool force_clean = false;       // Opened by an operator switch: its first job is clean.
    std::optional<ClientJob> held;  // A probe's latest job, until it is ready.
    std::unique_ptr<PoolLink> link;  // V1 or V2, by url.sv2.
    void OnReady() override { impl->OnReady(this); }
    void OnJob(const ClientJob& job) override { impl->OnJob(this, job); }
    void OnReconnect(const ReconnectParams& p) override { impl->OnReconnect(this, p); }
    void OnShowMessage(const std::string& text) override { impl->OnShowMessage(text); }
    void OnLost(const absl::Status& why, LossReason reason) override {
      impl->Drop(this, why, reason);
    }
  };
  struct Queued {
    ClientShare share;
    Session::SubmitDone done;
    absl::Time deadline;
    bool resend = false;  // Sent once already; its connection dropped before the answer.
    // Conn::id of the active connection when the share was held because that connection,
    // which had already notified the share's job, was not ready yet (the job came before the
    // authorize answer); 0 otherwise.
    uint64_t held_on = 0;
  };
  struct Resume {
    std::string session_id;
    std::vector<uint8_t> extranonce1;
    std::set<std::string> jobs;
  };

  void Connect(int pool, bool probe);
  // Ends connection `c` (active, probe or draining) and tells the failover policy. `reason`
  // kDropped becomes kConnectFailed for a connection that was not ready yet.
  void Drop(Conn* c, const absl::Status& why, LossReason reason = LossReason::kDropped);
  // Why a failed Session::Tick ended connection `c`.
  static LossReason TickLoss(const Conn& c, const absl::Status& why);
  // Leaves the active connection `c`: keeps its session id and extranonce1 for a resume and,
  // when it was ready, marks the client disconnected (counters, on_connection). Returns whether
  // it was ready.
  bool LeaveSession(Conn* c);
  void OnReady(Conn* c);
  void OnJob(Conn* c, ClientJob job);
  void Deliver(Conn* c, const ClientJob& job);
  void OnReconnect(Conn* c, const ReconnectParams& p);
  void OnShowMessage(const std::string& text);
  void Promote();
  void Retire(std::unique_ptr<Conn> c);  // Drain pending submits, then close.
  void Bury(std::unique_ptr<Conn> c);    // Close now; destroy later (not inside its handler).
  // The failover adapter: the policy decides which pool and when; these open the connections it
  // asks for and keep one asio timer armed for its next wake-up.
  void RunDue();
  void ArmWake();
  void Tick();
  void FlushQueue();
  void Requeue(PoolLink& l);  // Unanswered submits of a lost connection wait for the next.
  // `resend`: the share was sent on a connection that dropped before the answer; a duplicate
  // answer (code 22) on the resumed session means the pool took the first submit: accepted.
  // Sends a share on the ready session that knows its job, or holds it. `held_on` carries a
  // held share's Queued::held_on through a flush; kFresh (a new submit) computes it.
  static constexpr uint64_t kFresh = ~uint64_t{0};
  void SubmitOnIo(const ClientShare& share, Session::SubmitDone done, bool resend = false,
                  uint64_t held_on = kFresh);
  Session::SubmitDone Counted(const ClientShare& share, Session::SubmitDone done);
  void Update(std::function<void(ClientStatus&)> f);
  void SwitchOnIo(int pool);
  // Wraps `done` to count the outcome on pool `pool`'s counters.
  Session::SubmitDone PoolCounted(int pool, Session::SubmitDone done);

  const ClientOptions options_;
  const ClientCallbacks callbacks_;
  // ---- io thread (grow only, by AddAndSwitchPool) ----
  std::vector<PoolEndpoint> pools_;  // Sorted by priority, added pools last.
  std::vector<PoolUrl> urls_;
  PoolLink::Factories factories_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::steady_timer tick_timer_{io_};
  asio::steady_timer wake_timer_{io_};  // For policy_.NextWake().
  std::thread thread_;
  bool started_ = false;
  // Set by Stop() on the caller's thread, read by the io thread's handlers (so they stop
  // rescheduling): atomic, or the read raced with the write (TSan, stratum_loopback_test).
  std::atomic<bool> stopped_{false};

  // ---- io thread ----
  // The latest SuggestDifficulty: every session made after it asks for it in its handshake.
  std::optional<double> suggested_difficulty_;
  double nominal_hash_rate_ = 0;  // io thread; given to every new session.
  std::unique_ptr<Conn> active_;
  std::unique_ptr<Conn> probe_;
  std::vector<std::unique_ptr<Conn>> draining_;
  std::vector<std::unique_ptr<Conn>> graveyard_;
  const Clock* const clock_;
  FailoverPolicy policy_;  // Which pool, when; current(), preferred(), probing().
  bool force_clean_next_ = false;  // The next active connection follows an operator switch.
  bool pool_counted_ = false;  // Inside a PoolCounted callback (see PoolCounted).
  std::vector<std::optional<Resume>> resume_;
  std::optional<PoolUrl> redirect_;  // From client.reconnect, for the current pool.
  std::deque<Queued> queue_;
  uint64_t next_conn_id_ = 1;

  mutable absl::Mutex mu_;
  ClientStatus status_ ABSL_GUARDED_BY(mu_);

  friend class Client;
};

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_CLIENT_INTERNAL_H_
