// File: master/stratum/pool_link.h
//
// One connection of the Stratum client (client.h) to one pool, whatever its protocol: a
// transport and the session over it behind one interface, so that the client's failover,
// probing, draining and held-share queue treat every entry of the pool list alike. A Stratum V1
// pool (stratum+tcp://, stratum+ssl://) is a Session (session.h) over a LineTransport
// (transport.h); a Stratum V2 pool (stratum2+tcp://HOST:PORT/AUTHORITY_KEY) is an Sv2Session
// (sv2_session.h) over an Sv2Transport (sv2_transport.h: TCP + Noise, the pool's certificate
// checked against the key from the URL).
//
//   PoolLink::Factories f{AsioTransportFactory(tls), AsioSv2TransportFactory()};
//   std::unique_ptr<PoolLink> link = MakePoolLink(io, url, config, /*connection=*/7, f, &events);
//   link->Start();                           // connects; the session begins once connected
//   link->Submit(share, done, now);          // a job this link delivered
//   if (absl::Status s = link->Tick(now); !s.ok()) { ... }   // timeouts: the link is dead
//
// Contract: Events run on the io thread from inside the link's handlers. OnLost runs at most
// once, when the transport closed (connect, TLS or Noise handshake failures included) or when
// the pool sent something the session cannot trust (the link has closed its transport by then).
// Its reason: kRefused for a refused login or an SV2 certificate that does not verify (expired,
// not yet valid, signed by another authority: retrying the same pool soon cannot help),
// kBadInput for untrusted input, else kDropped (the client turns it into kConnectFailed when the
// link never became ready). After Close() no event runs.
// What differs by protocol: an SV2 link never resumes (resumed() is false, session_id() is
// empty), so the client ends its held shares pool-down after a drop; it has no
// client.show_message; its extranonce prefix may change at any time (extranonce_updates() kOn).
// Threading: the client's single io thread only.
#ifndef SYNTH_MASTER_STRATUM_POOL_LINK_H_
#define SYNTH_MASTER_STRATUM_POOL_LINK_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "asio/io_context.hpp"
#include "master/stratum/failover_policy.h"
#include "master/stratum/pool_url.h"
#include "master/stratum/session.h"
#include "master/stratum/sv2_transport.h"
#include "master/stratum/transport.h"
#include "master/stratum/types.h"

namespace synth::stratum {

class PoolLink {
 public:
  class Events {
   public:
    virtual ~Events() = default;
    virtual void OnReady() = 0;  // V1: subscribed and authorized; V2: the channel is open.
    virtual void OnJob(const ClientJob& job) = 0;
    virtual void OnReconnect(const ReconnectParams& p) = 0;
    virtual void OnShowMessage(const std::string& text) = 0;
    virtual void OnLost(const absl::Status& why, LossReason reason) = 0;
  };
  // The transports a link is built on; tests plug in fakes.
  struct Factories {
    TransportFactory v1;
    Sv2TransportFactory v2;
  };
  using SubmitDone = Session::SubmitDone;

  virtual ~PoolLink() = default;
  // Connects and begins the session once the transport is up.
  virtual void Start() = 0;
  // Closes the transport; no event runs afterwards.
  virtual void Close() = 0;
  // The session's timeouts; an error means the link is dead (the caller drops it).
  virtual absl::Status Tick(absl::Time now) = 0;
  virtual void Submit(const ClientShare& share, SubmitDone done, absl::Time now) = 0;
  virtual void AbortPending(SubmitOutcome outcome, const std::string& reason) = 0;
  virtual std::vector<Session::Unanswered> TakePendingSubmits() = 0;
  virtual void SuggestDifficulty(double difficulty, absl::Time now) = 0;
  // The rate mined for this pool, h/s: SV2 sends it in UpdateChannel (at most every 10 s); V1
  // has no such message and ignores it.
  virtual void SetNominalHashrate(double hashes_per_second, absl::Time now) {}
  // Adds the jobs of the session this one resumed (V1 only; V2 never resumes).
  virtual void AdoptJobs(const std::set<std::string>& jobs) = 0;

  virtual bool ready() const = 0;
  virtual bool KnowsJob(const std::string& job_id) const = 0;
  virtual bool resumed() const = 0;
  virtual size_t pending_submits() const = 0;
  virtual std::string session_id() const = 0;  // Empty when the session cannot be resumed.
  virtual std::vector<uint8_t> extranonce1() const = 0;
  virtual std::set<std::string> jobs() const = 0;
  virtual uint64_t unknown_responses() const = 0;
  virtual Session::ExtranonceUpdates extranonce_updates() const = 0;
};

// Returns the link for `url`: V2 when url.sv2, else V1. `config` is the pool's V1 session
// configuration (user, password, timeouts, version rolling, suggested difficulty); an SV2 link
// takes what SV2 has of it (no password: SV2 has none). `events` must outlive the link.
std::unique_ptr<PoolLink> MakePoolLink(asio::io_context& io, const PoolUrl& url,
                                       const SessionConfig& config, uint64_t connection,
                                       const PoolLink::Factories& factories,
                                       PoolLink::Events* events);

}  // namespace synth::stratum

#endif  // SYNTH_MASTER_STRATUM_POOL_LINK_H_
