// File: master/service/source_session.h
//
// One downstream Stratum connection as the SourceHub keeps it (source_hub.h, read by the
// views through Cluster::Inspect): its slot, what views show, and the share ledger's
// VerdictSink for it, which hands each verdict to the port (shares::SourcePort) in Stratum terms.
//
// Thread-compatible: the Core's mutex guards every field but `port`, which is set before the
// ledger's Attach and cleared after its Detach; Deliver runs under the ledger's lock.
#ifndef SYNTH_MASTER_SERVICE_SOURCE_SESSION_H_
#define SYNTH_MASTER_SERVICE_SOURCE_SESSION_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "master/shares/share_ledger.h"
#include "master/shares/share_source.h"

namespace synth::service {

// Returns the Stratum answer to a ledger verdict: accepted for ACCEPTED and LOCAL; 21 stale,
// 22 duplicate, 23 below target, the pool's code for a pool reject, 20 for the rest.
shares::SourceVerdict SourceVerdictOf(const shares::Verdict& v);

struct Source : shares::VerdictSink {
  uint64_t id = 0;
  uint64_t slot = 0;
  std::string identity;  // The ledger's: "stratum/<slot>" (a resumed session keeps its counts).
  std::string name, user_agent, peer;
  absl::Time connected;
  double difficulty = 0;  // Its current difficulty (vardiff), for views.
  shares::SourcePort* port = nullptr;

  void Deliver(const shares::Verdict& v) override {
    if (port != nullptr) port->OnVerdict(id, v.share_id, SourceVerdictOf(v));
  }
};

}  // namespace synth::service

#endif  // SYNTH_MASTER_SERVICE_SOURCE_SESSION_H_
