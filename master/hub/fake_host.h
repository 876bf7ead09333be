// File: master/hub/fake_host.h
//
// Test-only: a master core for the Stratum port's tests (shares::SourceHost). It grants slots
// 1, 2, ... (or the slot a resume asks for) on the pool `route_to` names, judges shares by their
// nonce: 1 = pool-grade (pending until Verdict()), 2 = valid at the miner's difficulty only,
// anything else = low difficulty; and publishes jobs and moves miners the way the Cluster does.
//
//   FakeHost host;
//   auto hub = *StratumHub::Start(options, &host);
//   host.Job("k1", /*clean=*/true);            // pool 0's job
//   host.PoolJob(1, "b1", true, {0xbb, 0xbb});  // pool 1's
//   host.Move(/*source=*/1, /*pool=*/1);
//
// Thread-safe: every member is guarded by mu_ (the tests read them under it).
#ifndef SYNTH_MASTER_HUB_FAKE_HOST_H_
#define SYNTH_MASTER_HUB_FAKE_HOST_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "master/shares/share_source.h"

namespace synth::hub {

class FakeHost : public shares::SourceHost {
 public:
  void SetSourcePort(shares::SourcePort* port) override {
    absl::MutexLock l(&mu_);
    port_ = port;
  }
  absl::StatusOr<shares::SourceGrant> AddSource(const shares::SourceHello& hello) override {
    absl::MutexLock l(&mu_);
    if (full_) return absl::ResourceExhaustedError("no free slot");
    hellos_.push_back(hello);
    uint64_t id = next_++;
    live_.push_back(id);
    return shares::SourceGrant{id, hello.resume_slot != 0 ? hello.resume_slot : id, route_to_};
  }
  void UpdateSource(uint64_t source, const std::string& name, double difficulty,
                    double rate_hps) override {
    absl::MutexLock l(&mu_);
    names_[source] = name;
  }
  void RemoveSource(uint64_t source) override {
    absl::MutexLock l(&mu_);
    std::erase(live_, source);
  }
  // Answers at once (through the port, as the ledger does) but for pool-grade shares, which wait
  // for Verdict().
  shares::SourceOutcome SubmitShare(uint64_t source, const shares::SourceShare& s) override {
    absl::MutexLock l(&mu_);
    shares_.push_back(s);
    shares::SourceOutcome o;
    if (s.params.nonce == 1) {
      o.forwarded = o.valid = true;
    } else if (s.params.nonce == 2) {
      o.valid = true;
      port_->OnVerdict(source, s.share_id, {true, 0, "", s.difficulty});
    } else {
      port_->OnVerdict(source, s.share_id,
                       {false, stratum::kErrLowDifficulty, "Low difficulty share", s.difficulty});
    }
    return o;
  }
  void CountRefused(uint64_t, uint64_t, bool rate_limited) override {
    absl::MutexLock l(&mu_);
    if (rate_limited) ++refused_;
  }

  // Publishes a job of pool 0 the way the Cluster would.
  void Job(const std::string& key, bool clean, std::vector<uint8_t> en1 = {0xde, 0xad},
           uint32_t mask = 0x1fffe000, double pool_difficulty = 8,
           std::vector<uint64_t> displaced = {}) {
    auto n = Notice(0, key, clean, std::move(en1));
    n->version_mask = mask;
    n->pool_difficulty = pool_difficulty;
    n->displaced = std::move(displaced);
    Publish(std::move(n));
  }
  // Publishes a job of `pool` (its coinb1 ends in the pool's index, so miners can tell).
  void PoolJob(size_t pool, const std::string& key, bool clean, std::vector<uint8_t> en1) {
    Publish(Notice(pool, key, clean, std::move(en1)));
  }
  // Moves a source to another pool, as the Cluster does when its pool leaves the split.
  void Move(uint64_t source, size_t pool) {
    absl::MutexLock l(&mu_);
    port_->OnMove(source, pool);
  }
  void Verdict(uint64_t source, uint64_t share_id, bool accepted) {
    absl::MutexLock l(&mu_);
    port_->OnVerdict(source, share_id, {accepted, accepted ? 0 : 23, "pool says no", 1});
  }

  absl::Mutex mu_;
  shares::SourcePort* port_ = nullptr;
  uint64_t next_ = 1;
  size_t route_to_ = 0;  // The pool AddSource grants.
  bool full_ = false;
  int refused_ = 0;
  std::vector<uint64_t> live_;
  std::vector<shares::SourceHello> hellos_;
  std::vector<shares::SourceShare> shares_;
  std::map<uint64_t, std::string> names_;

 private:
  static std::shared_ptr<shares::JobNotice> Notice(size_t pool, const std::string& key,
                                                   bool clean, std::vector<uint8_t> en1) {
    auto n = std::make_shared<shares::JobNotice>();
    n->job_key = key;
    n->pool = pool;
    auto j = std::make_shared<stratum::StratumJob>();
    j->job_id = "pool-" + key;
    j->coinb1 = {1, 2, 3, static_cast<uint8_t>(pool)};
    j->coinb2 = {4, 5};
    j->version = 0x20000000;
    j->nbits = 0x1d00ffff;
    j->ntime = 0x65000000;
    n->job = j;
    n->clean = clean;
    n->pool_difficulty = 8;
    n->extranonce1 = std::move(en1);
    n->extranonce2_size = 8;
    n->partition = jobs::PartitionExtranonce2(8, 10000);
    n->version_mask = 0x1fffe000;
    n->entered = absl::Now();
    return n;
  }
  void Publish(std::shared_ptr<shares::JobNotice> n) {
    absl::MutexLock l(&mu_);
    if (port_ != nullptr) port_->OnJob(std::move(n));
  }
};

}  // namespace synth::hub

#endif  // SYNTH_MASTER_HUB_FAKE_HOST_H_
