// The two kinds of pool link: a V1 Session over a LineTransport, an Sv2Session over an
// Sv2Transport.
#include "master/stratum/pool_link.h"

#include "common/logging.h"
#include "master/stratum/sv2_session.h"

namespace synth::stratum {
namespace {

// What a V1 and a V2 link do alike, over their session type S (Session or Sv2Session).
template <typename S>
class SessionLink : public PoolLink {
 public:
  absl::Status Tick(absl::Time now) override { return session_.Tick(now); }
  void Submit(const ClientShare& share, SubmitDone done, absl::Time now) override {
    session_.Submit(share, std::move(done), now);
  }
  void AbortPending(SubmitOutcome outcome, const std::string& reason) override {
    session_.AbortPending(outcome, reason);
  }
  std::vector<Session::Unanswered> TakePendingSubmits() override {
    return session_.TakePendingSubmits();
  }
  bool ready() const override { return session_.ready(); }
  bool KnowsJob(const std::string& job_id) const override { return session_.KnowsJob(job_id); }
  size_t pending_submits() const override { return session_.pending_submits(); }
  std::vector<uint8_t> extranonce1() const override { return session_.extranonce1(); }
  std::set<std::string> jobs() const override { return session_.jobs(); }

 protected:
  // `delegate` is the derived link; the session calls it only once Start() ran.
  template <typename Config, typename Delegate>
  SessionLink(const Config& config, Delegate* delegate, uint64_t connection, const PoolUrl& url,
              Events* events)
      : session_(config, delegate, connection, url.ToString()),
        url_(url.ToString()),
        events_(events) {}

  // The session refused what the pool sent: the connection can no longer be trusted.
  void InputFailed(const absl::Status& why) {
    LOG(WARNING) << "stratum: " << url_ << ": " << why << "; dropping the connection";
    Close();
    // A refused login cannot be fixed by retrying soon.
    events_->OnLost(why, absl::IsPermissionDenied(why) ? LossReason::kRefused
                                                       : LossReason::kBadInput);
  }

  S session_;
  const std::string url_;
  Events* const events_;
};

class V1Link : public SessionLink<Session>, private Session::Delegate {
 public:
  V1Link(std::unique_ptr<LineTransport> transport, const SessionConfig& config,
         uint64_t connection, const PoolUrl& url, Events* events)
      : SessionLink(config, static_cast<Session::Delegate*>(this), connection, url, events),
        transport_(std::move(transport)) {}

  void Start() override {
    transport_->Start(LineTransport::Handlers{
        .on_connected = [this] { session_.Begin(absl::Now()); },
        .on_line =
            [this](std::string line) {
              if (absl::Status s = session_.OnLine(line, absl::Now()); !s.ok()) InputFailed(s);
            },
        .on_closed = [this](absl::Status why) { events_->OnLost(why, LossReason::kDropped); },
    });
  }
  void Close() override { transport_->Close(); }
  void SuggestDifficulty(double difficulty, absl::Time) override {
    session_.SuggestDifficulty(difficulty);
  }
  void AdoptJobs(const std::set<std::string>& jobs) override { session_.AdoptJobs(jobs); }
  bool resumed() const override { return session_.resumed(); }
  std::string session_id() const override { return session_.session_id(); }
  uint64_t unknown_responses() const override { return session_.unknown_responses(); }
  Session::ExtranonceUpdates extranonce_updates() const override {
    return session_.extranonce_updates();
  }

 private:
  // Session::Delegate
  void SendLine(std::string line) override { transport_->Send(std::move(line)); }
  void OnReady() override { events_->OnReady(); }
  void OnJob(const ClientJob& job) override { events_->OnJob(job); }
  void OnReconnect(const ReconnectParams& p) override { events_->OnReconnect(p); }
  void OnShowMessage(const std::string& text) override { events_->OnShowMessage(text); }

  std::unique_ptr<LineTransport> transport_;
};

Sv2SessionConfig Sv2ConfigFrom(const SessionConfig& c, const PoolUrl& url) {
  Sv2SessionConfig s;
  s.user = c.user;
  s.user_agent = c.user_agent;
  s.endpoint_host = url.host;
  s.endpoint_port = url.port;
  s.version_rolling = c.version_rolling;
  s.version_mask = c.version_mask;
  s.suggest_difficulty = c.suggest_difficulty ? c.suggest_difficulty : c.minimum_difficulty;
  s.nominal_hash_rate = c.nominal_hash_rate;
  s.request_timeout = c.request_timeout;
  s.submit_timeout = c.submit_timeout;
  s.stall_timeout = c.stall_timeout;
  return s;
}

class Sv2Link : public SessionLink<Sv2Session>, private Sv2Session::Delegate {
 public:
  Sv2Link(std::unique_ptr<Sv2Transport> transport, const SessionConfig& config,
          uint64_t connection, const PoolUrl& url, Events* events)
      : SessionLink(Sv2ConfigFrom(config, url), static_cast<Sv2Session::Delegate*>(this),
                    connection, url, events),
        transport_(std::move(transport)) {}

  void Start() override {
    transport_->Start(Sv2Transport::Handlers{
        .on_connected = [this] { session_.Begin(absl::Now()); },
        .on_frame =
            [this](sv2::Frame frame) {
              if (absl::Status s = session_.OnFrame(frame, absl::Now()); !s.ok()) InputFailed(s);
            },
        // The transport has logged which check failed. A certificate that does not verify now
        // will not on the next attempt either: the pool counts as refusing us.
        .on_closed =
            [this](absl::Status why) {
              events_->OnLost(why, absl::IsPermissionDenied(why) ? LossReason::kRefused
                                                                 : LossReason::kDropped);
            },
    });
  }
  void Close() override { transport_->Close(); }
  void SuggestDifficulty(double difficulty, absl::Time now) override {
    session_.SuggestDifficulty(difficulty, now);
  }
  void SetNominalHashrate(double hashes_per_second, absl::Time now) override {
    session_.SetNominalHashrate(hashes_per_second, now);
  }
  void AdoptJobs(const std::set<std::string>&) override {}  // Never resumed.
  bool resumed() const override { return false; }
  std::string session_id() const override { return ""; }
  uint64_t unknown_responses() const override { return 0; }
  Session::ExtranonceUpdates extranonce_updates() const override {
    return Session::ExtranonceUpdates::kOn;  // SetExtranoncePrefix is part of the protocol.
  }

 private:
  // Sv2Session::Delegate
  void SendFrame(sv2::Frame frame) override { transport_->Send(std::move(frame)); }
  void OnReady() override { events_->OnReady(); }
  void OnJob(const ClientJob& job) override { events_->OnJob(job); }
  void OnReconnect(const ReconnectParams& p) override { events_->OnReconnect(p); }

  std::unique_ptr<Sv2Transport> transport_;
};

}  // namespace

std::unique_ptr<PoolLink> MakePoolLink(asio::io_context& io, const PoolUrl& url,
                                       const SessionConfig& config, uint64_t connection,
                                       const PoolLink::Factories& factories,
                                       PoolLink::Events* events) {
  if (url.sv2) {
    return std::make_unique<Sv2Link>(factories.v2(io, url), config, connection, url, events);
  }
  return std::make_unique<V1Link>(factories.v1(io, url), config, connection, url, events);
}

}  // namespace synth::stratum
