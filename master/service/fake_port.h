// File: master/service/fake_port.h
//
// Test-only: a shares::SourcePort that keeps what the SourceHub tells the Stratum port: the
// job notices, the verdicts and the moves of its miners between pools.
//
//   FakePort port;
//   cluster.sources().SetSourcePort(&port);
//   upstream.Notify(jobs::TestJob("p1"));   // port.notices.back() is its notice
#ifndef SYNTH_MASTER_SERVICE_FAKE_PORT_H_
#define SYNTH_MASTER_SERVICE_FAKE_PORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "master/shares/share_source.h"

namespace synth::service {

class FakePort : public shares::SourcePort {
 public:
  struct Got {
    uint64_t source, share_id;
    shares::SourceVerdict v;
  };
  struct Move {
    uint64_t source;
    size_t pool;
  };

  void OnJob(std::shared_ptr<const shares::JobNotice> n) override { notices.push_back(std::move(n)); }
  void OnVerdict(uint64_t source, uint64_t share_id, const shares::SourceVerdict& v) override {
    verdicts.push_back({source, share_id, v});
  }
  void OnMove(uint64_t source, size_t pool) override { moves.push_back({source, pool}); }
  shares::PortStats Stats() const override { return {.listen = "127.0.0.1:3334", .connections = 1}; }

  // Returns the last notice of `pool`'s jobs; nullptr when none came.
  const shares::JobNotice* Last(size_t pool) const {
    for (auto it = notices.rbegin(); it != notices.rend(); ++it) {
      if ((*it)->pool == pool) return it->get();
    }
    return nullptr;
  }

  std::vector<std::shared_ptr<const shares::JobNotice>> notices;
  std::vector<Got> verdicts;
  std::vector<Move> moves;
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_FAKE_PORT_H_
