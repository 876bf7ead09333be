#include "master/stratum/client.h"

#include <algorithm>
#include <future>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "master/stratum/client_internal.h"

namespace synth::stratum {
namespace {

FailoverOptions FailoverFrom(const ClientOptions& o) {
  return FailoverOptions{.backoff_initial = o.backoff_initial,
                         .backoff_max = o.backoff_max,
                         .backoff_multiplier = o.backoff_multiplier,
                         .backoff_jitter = o.backoff_jitter,
                         .failover_after = o.failover_after,
                         .primary_retry = o.primary_retry,
                         .stable_after = o.return_stable_after,
                         .max_return_hold = o.max_return_hold};
}

}  // namespace

Client::Impl::Impl(ClientOptions options, ClientCallbacks callbacks, std::vector<PoolUrl> urls)
    : options_(std::move(options)),
      callbacks_(std::move(callbacks)),
      pools_(options_.pools),
      urls_(std::move(urls)),
      factories_{options_.transport
                     ? options_.transport
                     : AsioTransportFactory(options_.tls, options_.connect_timeout_s),
                 options_.sv2_transport ? options_.sv2_transport
                                        : AsioSv2TransportFactory(options_.connect_timeout_s)},
      clock_(options_.clock != nullptr ? options_.clock : RealClock::Get()),
      policy_(FailoverFrom(options_), static_cast<int>(pools_.size()), clock_, options_.seed),
      resume_(pools_.size()) {
  absl::MutexLock l(&mu_);
  for (const PoolUrl& u : urls_) status_.pools.push_back(PoolStats{.url = u.ToString()});
}

void Client::Impl::Start() {
  if (started_) return;
  started_ = true;
  asio::post(io_, [this] {
    policy_.Start();
    RunDue();
    Tick();
  });
  thread_ = std::thread([this] { io_.run(); });
}

void Client::Impl::Stop() {
  if (stopped_.exchange(true)) return;
  if (!thread_.joinable()) return;
  std::promise<void> done;
  asio::post(io_, [&] {
    tick_timer_.cancel();
    wake_timer_.cancel();
    for (Conn* c : {active_.get(), probe_.get()}) {
      if (c != nullptr) c->link->AbortPending(SubmitOutcome::kTimedOut, "client stopped");
    }
    for (auto& c : draining_) c->link->AbortPending(SubmitOutcome::kTimedOut, "client stopped");
    for (Queued& q : queue_) q.done(SubmitResult{SubmitOutcome::kTimedOut, 0, "client stopped", false});
    queue_.clear();
    if (active_) Bury(std::move(active_));
    if (probe_) Bury(std::move(probe_));
    for (auto& c : draining_) Bury(std::move(c));
    draining_.clear();
    done.set_value();
  });
  done.get_future().wait();
  work_.reset();
  io_.stop();
  thread_.join();
  graveyard_.clear();
}

void Client::Impl::Update(std::function<void(ClientStatus&)> f) {
  absl::MutexLock l(&mu_);
  f(status_);
}

ClientStatus Client::Impl::Status() const {
  absl::MutexLock l(&mu_);
  return status_;
}

void Client::Impl::RunDue() {
  while (std::optional<FailoverAction> a = policy_.TakeDue()) Connect(a->pool, a->probe);
  ArmWake();
}

void Client::Impl::ArmWake() {
  absl::Time at = policy_.NextWake();
  if (stopped_ || at == absl::InfiniteFuture()) {
    wake_timer_.cancel();
    return;
  }
  absl::Duration wait = std::max(absl::ZeroDuration(), at - clock_->Now());
  wake_timer_.expires_after(absl::ToChronoNanoseconds(wait));  // Cancels an earlier wait.
  wake_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) RunDue();
  });
}

void Client::Impl::Connect(int pool, bool probe) {
  auto c = std::make_unique<Conn>();
  c->impl = this;
  c->pool = pool;
  c->id = next_conn_id_++;
  c->probe = probe;
  c->url = (!probe && redirect_) ? *redirect_ : urls_[pool];
  if (!probe) {
    c->force_clean = force_clean_next_;  // Opened by an operator switch: its first job is clean.
    force_clean_next_ = false;
  }
  SessionConfig config = options_.session;
  if (suggested_difficulty_) config.suggest_difficulty = suggested_difficulty_;
  config.nominal_hash_rate = nominal_hash_rate_;
  config.user = pools_[pool].user;
  config.pass = pools_[pool].pass;
  if (resume_[pool]) {
    config.resume_session_id = resume_[pool]->session_id;
    config.resume_extranonce1 = resume_[pool]->extranonce1;
  }
  c->link = MakePoolLink(io_, c->url, config, c->id, factories_, c.get());
  Conn* raw = c.get();
  LOG(INFO) << "stratum: connecting to " << raw->url.ToString() << " as " << config.user
            << (raw->url.sv2 ? " (Stratum V2)" : "")
            << (probe ? " (probing the preferred pool)" : "");
  if (probe) {
    probe_ = std::move(c);
  } else {
    active_ = std::move(c);
  }
  Update([&](ClientStatus& s) { (probe ? s.probing : s.current) = pool; });
  raw->link->Start();
}

void Client::Impl::Bury(std::unique_ptr<Conn> c) {
  c->link->Close();
  graveyard_.push_back(std::move(c));
  asio::post(io_, [this] { graveyard_.clear(); });
}

void Client::Impl::Retire(std::unique_ptr<Conn> c) {
  if (c->link->pending_submits() == 0) return Bury(std::move(c));
  draining_.push_back(std::move(c));
}

LossReason Client::Impl::TickLoss(const Conn& c, const absl::Status& why) {
  if (!c.link->ready()) return LossReason::kHandshakeFailed;
  return absl::IsDeadlineExceeded(why) ? LossReason::kSubmitTimedOut : LossReason::kStalled;
}

bool Client::Impl::LeaveSession(Conn* c) {
  if (c->link->extranonce1().size() > 0 && !c->link->session_id().empty()) {
    resume_[c->pool] =
        Resume{c->link->session_id(), c->link->extranonce1(), c->link->jobs()};
  }
  bool was_ready = c->link->ready();
  if (was_ready) {
    Update([&](ClientStatus& s) {
      s.connected = false;
      ++s.disconnects;
      ++s.pools[c->pool].disconnects;
    });
    if (callbacks_.on_connection) callbacks_.on_connection(false, c->url.ToString());
  }
  return was_ready;
}

void Client::Impl::Drop(Conn* c, const absl::Status& why, LossReason reason) {
  Update([&](ClientStatus& s) { s.last_error = std::string(why.message()); });
  if (probe_.get() == c) {
    LOG(INFO) << "stratum: probe of " << c->url.ToString() << " failed: " << why;
    Bury(std::move(probe_));
    Update([](ClientStatus& s) { s.probing = -1; });
    policy_.OnProbeFailed();
    return ArmWake();
  }
  for (auto it = draining_.begin(); it != draining_.end(); ++it) {
    if (it->get() != c) continue;
    Requeue(*c->link);
    std::unique_ptr<Conn> dead = std::move(*it);
    draining_.erase(it);
    return Bury(std::move(dead));
  }
  if (active_.get() != c) return;
  LOG(WARNING) << "stratum: lost " << c->url.ToString() << ": " << why;
  bool was_ready = LeaveSession(c);
  Requeue(*c->link);
  Bury(std::move(active_));
  if (redirect_ && !was_ready) redirect_.reset();  // A redirect that fails falls back.
  if (reason == LossReason::kDropped && !was_ready) reason = LossReason::kConnectFailed;
  LossOutcome o = policy_.OnLost(reason);
  if (o.failed_over) {
    Update([&](ClientStatus& s) { ++s.pools[o.from].failovers; });
    redirect_.reset();
    LOG(WARNING) << "stratum: failing over to " << urls_[o.pool].ToString() << " ("
                 << LossReasonName(reason) << ")";
  }
  VLOG(1) << "stratum: next attempt on " << urls_[o.pool].ToString() << " in " << o.delay;
  ArmWake();
}

void Client::Impl::OnReady(Conn* c) {
  if (c == probe_.get()) {  // A probe is promoted once it is ready and has a job.
    if (!c->held) return;
    ClientJob job = std::move(*c->held);
    Promote();
    job.job.clean_jobs = true;  // Another pool: earlier work is useless.
    return Deliver(c, job);
  }
  if (c != active_.get()) return;
  policy_.OnReady();
  ArmWake();  // A probe of the preferred pool, after the return hold.
  if (c->link->resumed() && resume_[c->pool]) c->link->AdoptJobs(resume_[c->pool]->jobs);
  LOG(INFO) << "stratum: ready on " << c->url.ToString()
            << (c->link->resumed() ? " (session resumed)" : "");
  Update([&](ClientStatus& s) {
    s.connected = true;
    s.url = c->url.ToString();
    s.pool_index = c->pool;
    s.current = c->pool;
    s.resumed = c->link->resumed();
    ++s.connects;
    ++s.pools[c->pool].connects;
  });
  if (callbacks_.on_connection) callbacks_.on_connection(true, c->url.ToString());
  FlushQueue();
}

void Client::Impl::OnJob(Conn* c, ClientJob job) {
  if (c == probe_.get()) {
    if (!c->link->ready()) {
      c->held = std::move(job);
      return;
    }
    Promote();
    job.job.clean_jobs = true;  // Another pool: earlier work is useless.
  } else if (c != active_.get()) {
    return;  // Draining.
  }
  if (c->force_clean) {  // Work of the pool we switched away from is useless here.
    c->force_clean = false;
    job.job.clean_jobs = true;
  }
  Deliver(c, job);
}

void Client::Impl::Deliver(Conn* c, const ClientJob& job) {
  Update([&](ClientStatus& s) {
    ++s.jobs;
    s.difficulty = job.difficulty;
    s.extranonce1 = job.extranonce1;
    s.version_mask = job.version_mask;
    s.unknown_responses = c->link->unknown_responses();
    s.extranonce_updates = c->link->extranonce_updates();
  });
  if (callbacks_.on_job) callbacks_.on_job(job);
}

void Client::Impl::Promote() {
  LOG(INFO) << "stratum: back on the preferred pool " << probe_->url.ToString();
  if (active_) Retire(std::move(active_));
  active_ = std::move(probe_);
  policy_.OnProbeReady();
  redirect_.reset();
  Update([](ClientStatus& s) { s.probing = -1; });
  OnReady(active_.get());
}

void Client::Impl::OnReconnect(Conn* c, const ReconnectParams& p) {
  if (c != active_.get()) return;
  std::string host = p.host.empty() ? c->url.host : p.host;
  // An SV2 Reconnect comes over the pool's authenticated channel, and the new host must show a
  // certificate of the same authority key (kept in the URL): no domain rule is needed there.
  if (!c->url.sv2 && !SameDomain(host, urls_[c->pool].host)) {
    LOG(WARNING) << "stratum: refusing client.reconnect to '" << host << "': not the domain of "
                 << urls_[c->pool].host;
    Update([](ClientStatus& s) { ++s.reconnects_refused; });
    return;
  }
  PoolUrl target = c->url;
  target.host = host;
  if (p.port) target.port = *p.port;
  LOG(INFO) << "stratum: pool asked to reconnect to " << target.ToString() << " in " << p.wait_s
            << " s";
  redirect_ = target;
  LeaveSession(c);
  Retire(std::move(active_));
  policy_.OnRedirect(absl::Seconds(p.wait_s));
  ArmWake();
}

void Client::Impl::OnShowMessage(const std::string& text) {
  Update([&](ClientStatus& s) { s.last_message = text.substr(0, 1024); });
  if (callbacks_.on_message) callbacks_.on_message(text);
}

}  // namespace synth::stratum
