// File: tests/hub/sim_miner.h
//
// Test-only: one simulated Stratum V1 miner connection, the tests' own stand-in for an ASIC or
// cpuminer (CI has no third-party miner). It speaks to a pool as a real miner does —
// mining.configure (version rolling, optional), subscribe (resuming its last session after a
// reconnect), authorize, extranonce.subscribe (optional), suggest_difficulty (optional) — and
// follows set_difficulty (next job), set_extranonce (next job), set_version_mask (at once),
// clean jobs and client.reconnect. It hashes for real (common/hash cores) at a budget of
// `rate_hps` and submits every share that meets its difficulty, with the rolled version bits
// when rolling was agreed. Many SimMiners share one io thread (synth-stratum-miner).
//
//   SimMiner m(io, options, &stats, index);
//   m.Start();                       // connects; reconnects after a close
//   m.Hash(nonce_budget);            // called by the owner's tick
//
// Threading: every call on the io thread; Stats are guarded by their own mutex.
#ifndef SYNTH_TESTS_HUB_SIM_MINER_H_
#define SYNTH_TESTS_HUB_SIM_MINER_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "asio.hpp"
#include "common/hash/scan.h"
#include "common/stratum/codec.h"
#include "common/stratum/job.h"

namespace synth::hubtest {

struct SimOptions {
  std::string host = "127.0.0.1";
  int port = 3334;
  std::string user = "farm.rig";  // Connection i authorizes as user + "-" + i when many.
  std::string pass = "x";
  bool version_rolling = false;   // Ask for BIP 310 rolling (mask 0x1fffe000).
  bool extranonce_subscribe = false;
  double suggest_difficulty = 0;  // > 0: mining.suggest_difficulty after authorize.
  bool resume = true;             // Subscribe with the last session id after a reconnect.
  absl::Duration reconnect_delay = absl::Milliseconds(500);
  const hash::HashCore* core = nullptr;
};

// Counters over every connection of the process.
struct SimStats {
  absl::Mutex mu;
  uint64_t connects ABSL_GUARDED_BY(mu) = 0;
  uint64_t subscribed ABSL_GUARDED_BY(mu) = 0;
  uint64_t resumed ABSL_GUARDED_BY(mu) = 0;
  uint64_t notifies ABSL_GUARDED_BY(mu) = 0;
  uint64_t reconnects_asked ABSL_GUARDED_BY(mu) = 0;
  uint64_t extranonce_changes ABSL_GUARDED_BY(mu) = 0;
  uint64_t hashes ABSL_GUARDED_BY(mu) = 0;
  uint64_t submitted ABSL_GUARDED_BY(mu) = 0;
  uint64_t submitted_rolled ABSL_GUARDED_BY(mu) = 0;  // With the 6th (version bits) param.
  uint64_t accepted ABSL_GUARDED_BY(mu) = 0;
  std::map<int, uint64_t> rejected ABSL_GUARDED_BY(mu);  // Stratum code → count.
  uint32_t version_mask ABSL_GUARDED_BY(mu) = 0;         // Last agreed.
  double difficulty ABSL_GUARDED_BY(mu) = 0;             // Last in force.
  std::deque<double> rtt_ms ABSL_GUARDED_BY(mu);         // Submit → answer, last 20,000.
  // Clean notifies: job id → arrival times (to measure the spread across connections).
  std::map<std::string, std::pair<absl::Time, absl::Time>> clean_arrivals ABSL_GUARDED_BY(mu);
};

class SimMiner : public std::enable_shared_from_this<SimMiner> {
 public:
  SimMiner(asio::io_context& io, const SimOptions& options, SimStats* stats, int index);

  void Start();
  // Closes now and reconnects after the delay (a miner's own disconnect).
  void Drop();
  // Hashes up to `budget` nonces of the current work; returns how many it hashed.
  uint64_t Hash(uint64_t budget);
  bool ready() const { return job_.has_value() && authorized_; }

 private:
  void Connect();
  void OnConnected();
  void Read();
  void Send(const std::string& line);
  void Write();
  void Request(const std::string& method, const nlohmann::json& params);
  void Handle(const stratum::Message& m);
  void HandleResponse(const stratum::Message& m);
  void HandleNotification(const stratum::Message& m);
  void Closed();
  void NextWork();

  asio::io_context& io_;
  const SimOptions options_;
  SimStats* const stats_;
  const std::string user_;
  std::unique_ptr<asio::ip::tcp::socket> socket_;
  asio::steady_timer retry_;
  std::array<char, 8192> buf_;
  stratum::LineFramer framer_;
  bool open_ = false;
  std::deque<std::string> out_;
  bool writing_ = false;
  int64_t next_id_ = 1;
  std::map<int64_t, std::pair<std::string, absl::Time>> requests_;  // id → method, sent at
  std::string session_id_;  // The last subscribe's, for resuming.
  bool authorized_ = false;
  uint32_t mask_ = 0;
  double difficulty_ = 1, next_difficulty_ = 1;
  stratum::Extranonce extranonce_, next_extranonce_;
  std::optional<stratum::StratumJob> job_;
  // Current work: extranonce2 counter, version, scan work and the next nonce.
  uint64_t en2_counter_ = 0;
  std::vector<uint8_t> en2_;
  uint32_t version_ = 0;
  hash::ScanWork work_;
  uint64_t next_nonce_ = uint64_t{1} << 32;  // Exhausted: build new work first.
};

}  // namespace synth::hubtest

#endif  // SYNTH_TESTS_HUB_SIM_MINER_H_
