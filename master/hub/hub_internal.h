// Internal to master/hub: the port's state on its io thread and one downstream connection.
// Everything here runs on the io thread except what Stats() reads under stats_mu_.
#ifndef SYNTH_MASTER_HUB_HUB_INTERNAL_H_
#define SYNTH_MASTER_HUB_HUB_INTERNAL_H_

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "asio.hpp"
#include "common/stratum/server_session.h"
#include "master/hub/hub.h"
#include "master/hub/vardiff.h"

namespace synth::hub {

class Connection;

inline double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// A job as the port serves it: the master's notice and its mining.notify line.
struct HubJob {
  std::string id;  // The downstream job id (hex of the port's job counter, unique port-wide).
  std::shared_ptr<const shares::JobNotice> notice;
  stratum::SharedLine line;
  stratum::SharedLine clean_line;  // The same with clean_jobs set (a new or moved miner's).
};

// Keeps the latest `keep` samples and answers percentiles.
class Samples {
 public:
  explicit Samples(size_t keep) : keep_(keep) {}
  void Add(double v);
  void Clear() { v_.clear(); }
  // Returns the p-quantile (0..1), 0 without samples.
  double Quantile(double p) const;
  double Max() const;
  size_t size() const { return v_.size(); }

 private:
  size_t keep_;
  std::deque<double> v_;
};

class StratumHub::Impl {
 public:
  Impl(const HubOptions& options, shares::SourceHost* host);
  absl::Status Listen();
  void Run();
  void Shutdown();

  // ---- io thread ----
  void PublishJob(std::shared_ptr<const shares::JobNotice> notice);
  void DeliverVerdict(uint64_t source, uint64_t share_id, const shares::SourceVerdict& v);
  void MoveSource(uint64_t source, size_t pool);
  // The job a downstream job id names (`pool`'s jobs are searched first), or nullptr.
  const HubJob* FindJob(const std::string& id, size_t pool) const;
  // `pool`'s current job, or nullptr before its first.
  const HubJob* current_job(size_t pool) const {
    return pool < jobs_.size() && !jobs_[pool].empty() ? &jobs_[pool].back() : nullptr;
  }
  // The current job of the first pool that has one, or nullptr before any job.
  const HubJob* any_job() const;
  // The slot a mining.subscribe session id names (the extranonce1 the port gave: a pool's,
  // then the slot bytes), 0 when it names none.
  uint64_t ResumeSlotOf(const std::string& session_id) const;
  void Forget(Connection* c);
  void BindSource(Connection* c, uint64_t source);
  // The shared read buffer (one io thread, so one buffer for every connection).
  std::array<char, 16 * 1024>& read_buffer() { return read_buffer_; }

  // Counters (any thread).
  void Count(uint64_t HubStats::*field, uint64_t n = 1);
  void AddSharePath(double ms);
  void AddFanout(double ms);
  void AddFanouts(const std::vector<double>& ms);
  HubStats Stats() const;

  const HubOptions options_;
  shares::SourceHost* const host_;
  asio::io_context io_;

 private:
  void Accept();
  void ScheduleSweep();
  void Sweep();
  void LogStatus();

  asio::ip::tcp::acceptor acceptor_{io_};
  asio::steady_timer sweep_timer_{io_};
  std::thread thread_;
  bool stopped_ = false;
  uint64_t next_connection_ = 1;
  uint64_t job_seq_ = 0;
  absl::Time last_status_;
  // By pool: its jobs, oldest first; a clean job clears its pool's.
  std::vector<std::deque<HubJob>> jobs_;
  absl::flat_hash_map<Connection*, std::shared_ptr<Connection>> connections_;
  absl::flat_hash_map<uint64_t, Connection*> by_source_;
  std::array<char, 16 * 1024> read_buffer_;

  mutable absl::Mutex stats_mu_;
  HubStats stats_ ABSL_GUARDED_BY(stats_mu_);
  Samples share_path_ ABSL_GUARDED_BY(stats_mu_){2000};
  Samples fanout_ ABSL_GUARDED_BY(stats_mu_){20000};
};

// One downstream miner: its socket, the session core and the port's policy around it.
class Connection : public std::enable_shared_from_this<Connection>,
                   public stratum::ServerSessionHost {
 public:
  Connection(StratumHub::Impl& hub, asio::ip::tcp::socket socket, std::string peer);
  void Start();
  // Closes the socket and releases the source; `why` (if not empty) is logged.
  void Close(const std::string& why);
  // Sends client.reconnect and closes once it is written.
  void Reconnect();
  // Checks the timeouts and the vardiff (every sweep).
  void Sweep(absl::Time now);
  // A new job of any pool: for a connection of its pool the extranonce and mask changes,
  // difficulty bounds, then the notify (a displaced one is reconnected; a subscribe waiting
  // for a job is answered). Returns the clean job's fan-out time (pool job in → notify
  // written) when the write went out at once.
  std::optional<double> Notify(const HubJob& job);
  // The connection mines `pool`'s jobs from now on: its extranonce (or a reconnect) and
  // current job, clean.
  void MoveTo(size_t pool);
  // The pool's verdict on a forwarded share.
  void OnVerdict(uint64_t share_id, const shares::SourceVerdict& v);
  // Completes a subscribe that waited for the first job.
  void CompleteWaitingSubscribe();

  uint64_t source() const { return source_; }
  size_t pool() const { return pool_; }
  bool closed() const { return closed_; }

  // ---- stratum::ServerSessionHost ----
  void Write(stratum::SharedLine line) override;
  absl::StatusOr<std::optional<stratum::Extranonce>> OnSubscribe(
      const stratum::SubscribeParams& p) override;
  void OnSubscribed() override;
  bool OnAuthorize(const stratum::AuthorizeParams& p) override;
  uint32_t ServerVersionMask() const override;
  void OnDifficultyRequest(double difficulty, bool minimum) override;
  void OnSubmit(stratum::SubmitRequest request) override;
  void OnSubmitRefused(const stratum::SubmitParams* params, int code, bool rate_limited) override;

 private:
  void WaitRead();
  void ReadSome();
  void Flush();
  void WaitWrite();
  // Registers the source with the host (its slot and pool).
  absl::Status Grant(const stratum::SubscribeParams& p);
  // Starts mining `n`'s pool: the vardiff from its difficulty; returns the extranonce.
  stratum::Extranonce Begin(const shares::JobNotice& n);
  // Sends a job of its pool, as notified or as `clean`, after its extranonce (a miner that did
  // not subscribe to extranonce changes is reconnected instead: false), mask and difficulty.
  bool Send(const HubJob& job, bool clean);
  stratum::Extranonce ExtranonceFor(const shares::JobNotice& n) const;
  // True when the session already has ExtranonceFor(n) (checked without building it).
  bool HasExtranonceOf(const shares::JobNotice& n) const;
  void SendDifficultyIfChanged(std::optional<double> d);
  void Report();

  StratumHub::Impl& hub_;
  asio::ip::tcp::socket socket_;
  const std::string peer_;
  stratum::ServerSession core_;
  uint64_t source_ = 0;       // Registered with the host (0: not yet).
  uint64_t slot_ = 0;
  size_t pool_ = 0;           // Whose jobs it mines (the host's SourceGrant, OnMove).
  bool moved_ = false;        // Moved before its new pool had a job: that job goes out clean.
  std::optional<stratum::SubscribeParams> waiting_;  // A subscribe waiting for the first job.
  std::optional<Vardiff> vardiff_;
  double miner_floor_ = 0;
  std::string worker_;        // The first authorized user (what views show).
  absl::Time accepted_;
  absl::Time last_line_;
  absl::Time partial_since_ = absl::InfiniteFuture();
  absl::Time read_at_;        // When the bytes being handled were read.
  absl::Time last_report_;    // Last UpdateSource.
  uint64_t next_share_ = 1;
  absl::flat_hash_map<uint64_t, nlohmann::json> pending_;  // share id → submit id
  // Output: lines not yet written whole; out_offset_ bytes of the first are written.
  std::deque<stratum::SharedLine> out_;
  size_t out_offset_ = 0;
  size_t out_bytes_ = 0;
  bool write_waiting_ = false;
  bool close_after_flush_ = false;
  stratum::SharedLine fanout_line_;  // The clean notify whose write time is measured.
  absl::Time fanout_entered_;
  bool closed_ = false;
};

}  // namespace synth::hub

#endif  // SYNTH_MASTER_HUB_HUB_INTERNAL_H_
