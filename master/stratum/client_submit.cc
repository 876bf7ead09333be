// Client: share submission, the periodic tick (session timeouts, draining, held-share expiry)
// and the public wrappers.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "master/stratum/client.h"
#include "master/stratum/client_internal.h"

namespace synth::stratum {

Session::SubmitDone Client::Impl::Counted(const ClientShare& share, Session::SubmitDone done) {
  return [this, difficulty = share.difficulty, done = std::move(done)](const SubmitResult& r) {
    Update([&](ClientStatus& s) {
      switch (r.outcome) {
        case SubmitOutcome::kAccepted: ++s.shares.accepted; break;
        case SubmitOutcome::kRejected:
          ++s.shares.rejected;
          ++s.shares.rejected_by_code[r.code];
          break;
        case SubmitOutcome::kStale: ++s.shares.stale; break;
        case SubmitOutcome::kTimedOut: ++s.shares.timed_out; break;
        case SubmitOutcome::kPoolDown: ++s.shares.pool_down; break;
      }
      // The share's own difficulty: the pool may have changed it since the share's job.
      if (r.outcome == SubmitOutcome::kAccepted) s.shares.accepted_work += difficulty;
    });
    if (done) done(r);
  };
}

Session::SubmitDone Client::Impl::PoolCounted(int pool, Session::SubmitDone done) {
  // A submit left unanswered by a lost connection is re-sent wrapped again: only the newest
  // wrapper (the pool that answered) counts, the ones it calls see pool_counted_ set.
  return [this, pool, done = std::move(done)](const SubmitResult& r) {
    if (r.sent && !pool_counted_) {
      Update([&](ClientStatus& s) {
        PoolStats& p = s.pools[pool];
        if (r.outcome == SubmitOutcome::kAccepted) ++p.accepted;
        if (r.outcome == SubmitOutcome::kRejected) ++p.rejected;
        if (r.outcome == SubmitOutcome::kStale) ++p.stale;
      });
    }
    bool outer = pool_counted_;
    pool_counted_ = true;
    if (done) done(r);
    pool_counted_ = outer;
  };
}

namespace {

constexpr int kDuplicateCode = 22;  // Stratum's "duplicate share".

// A resent share answered "duplicate" reached the pool the first time, before the connection
// dropped (the master verified it meets the share target, and pools record accepted shares):
// counted accepted, with the reason saying so.
Session::SubmitDone DuplicateOnResendIsAccepted(Session::SubmitDone done) {
  return [done = std::move(done)](const SubmitResult& r) {
    if (r.sent && r.outcome == SubmitOutcome::kRejected && r.code == kDuplicateCode) {
      LOG(INFO) << "stratum: resent share answered duplicate: the first submit reached the pool; "
                   "counted accepted";
      return done(SubmitResult{SubmitOutcome::kAccepted, r.code,
                               "accepted before the connection dropped (duplicate on resend)",
                               true});
    }
    done(r);
  };
}

}  // namespace

void Client::Impl::SubmitOnIo(const ClientShare& share, Session::SubmitDone done, bool resend,
                              uint64_t held_on) {
  absl::Time now = absl::Now();
  if (active_ && active_->link->ready()) {
    if (active_->link->KnowsJob(share.job_id)) {
      Session::SubmitDone counted = PoolCounted(active_->pool, std::move(done));
      if (resend) counted = DuplicateOnResendIsAccepted(std::move(counted));
      return active_->link->Submit(share, std::move(counted), now);
    }
    for (auto& c : draining_) {  // A job of the pool we just left, still open.
      if (c->link->ready() && c->link->KnowsJob(share.job_id)) {
        return c->link->Submit(share, PoolCounted(c->pool, std::move(done)), now);
      }
    }
    LOG(INFO) << "stratum: share for job " << share.job_id << " is stale (job gone); not sent";
    return done(SubmitResult{SubmitOutcome::kStale, 0, "job no longer valid", false});
  }
  if (held_on == kFresh) {
    held_on = active_ && active_->link->KnowsJob(share.job_id) ? active_->id : 0;
  }
  queue_.push_back(
      Queued{share, std::move(done), now + options_.session.submit_timeout, resend, held_on});
}

void Client::Impl::Requeue(PoolLink& l) {
  std::vector<Session::Unanswered> lost = l.TakePendingSubmits();
  if (!lost.empty()) {
    LOG(WARNING) << "stratum: " << lost.size()
                 << " submit(s) unanswered when the connection dropped; resending on the next "
                    "session if it resumes";
  }
  // Each gets one more submit timeout to find a session that takes it.
  absl::Time deadline = absl::Now() + options_.session.submit_timeout;
  for (Session::Unanswered& u : lost) {
    queue_.push_back(Queued{std::move(u.share), std::move(u.done), std::max(u.deadline, deadline),
                            /*resend=*/true});
  }
}

void Client::Impl::FlushQueue() {
  std::deque<Queued> queue = std::move(queue_);
  queue_.clear();
  // Held shares name jobs of the session that dropped. They are sent only on a true resume
  // (same extranonce1 granted for the old session id) that still knows their job: on any other
  // session the same job id may name a different job (a restarted pool counts from "1" again).
  // A share held on the connection that is now ready (its job was notified before the
  // authorize answer) names a job of this very session and is sent too.
  PoolLink* s = active_ && active_->link->ready() ? active_->link.get() : nullptr;
  for (Queued& q : queue) {
    bool same_session = s != nullptr && q.held_on != 0 && q.held_on == active_->id;
    if (s == nullptr || ((s->resumed() || same_session) && s->KnowsJob(q.share.job_id))) {
      SubmitOnIo(q.share, std::move(q.done), q.resend, q.held_on);
      continue;
    }
    LOG(INFO) << "stratum: held share for job " << q.share.job_id
              << " expired while the pool was down (" << (s->resumed() ? "job gone" : "new session, not resumed")
              << "); not sent";
    q.done(SubmitResult{SubmitOutcome::kPoolDown, 0,
                        s->resumed() ? "expired while the pool was down (job gone)"
                                     : "expired while the pool was down (session not resumed)",
                        false});
  }
}

void Client::Impl::Submit(const ClientShare& share, Session::SubmitDone done) {
  Update([](ClientStatus& s) { ++s.shares.submitted; });
  Session::SubmitDone counted = Counted(share, std::move(done));
  asio::post(io_, [this, share, counted = std::move(counted)]() mutable {
    if (stopped_) return counted(SubmitResult{SubmitOutcome::kTimedOut, 0, "client stopped", false});
    SubmitOnIo(share, std::move(counted));
  });
}

void Client::Impl::SuggestDifficulty(double difficulty) {
  // Kept for every later session (reconnects, failover, probes) and given to the ones that
  // exist now, ready or still in their handshake: a suggestion made while connecting is not lost.
  asio::post(io_, [this, difficulty] {
    suggested_difficulty_ = difficulty;
    for (Conn* c : {active_.get(), probe_.get()}) {
      if (c != nullptr) c->link->SuggestDifficulty(difficulty, absl::Now());
    }
  });
}

void Client::Impl::SetNominalHashrate(double hashes_per_second) {
  asio::post(io_, [this, hashes_per_second] {
    nominal_hash_rate_ = hashes_per_second;
    for (Conn* c : {active_.get(), probe_.get()}) {
      if (c != nullptr) c->link->SetNominalHashrate(hashes_per_second, absl::Now());
    }
  });
}

void Client::Impl::Tick() {
  absl::Time now = absl::Now();
  for (Conn* c : {active_.get(), probe_.get()}) {
    if (c == nullptr) continue;
    absl::Status s = c->link->Tick(now);
    if (!s.ok()) {
      LOG(WARNING) << "stratum: " << c->url.ToString() << ": " << s;
      Drop(c, s, TickLoss(*c, s));
    }
  }
  for (size_t i = 0; i < draining_.size();) {
    PoolLink& s = *draining_[i]->link;
    bool dead = !s.Tick(now).ok();
    if (dead) Requeue(s);  // Its unanswered shares wait for a session that can take them.
    if (dead || s.pending_submits() == 0) {
      std::unique_ptr<Conn> done = std::move(draining_[i]);
      draining_.erase(draining_.begin() + static_cast<long>(i));
      Bury(std::move(done));
    } else {
      ++i;
    }
  }
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    Session::SubmitDone done = std::move(it->done);
    it = queue_.erase(it);
    done(SubmitResult{SubmitOutcome::kPoolDown, 0,
                      "expired while the pool was down (no pool connection in time)", false});
  }
  tick_timer_.expires_after(absl::ToChronoMilliseconds(options_.tick));
  tick_timer_.async_wait([this](const asio::error_code& ec) {
    if (!ec && !stopped_) Tick();
  });
}

// ---- Client ----

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClientOptions options,
                                                       ClientCallbacks callbacks) {
  if (options.pools.empty()) return absl::InvalidArgumentError("stratum client: no pool given");
  std::stable_sort(options.pools.begin(), options.pools.end(),
                   [](const PoolEndpoint& a, const PoolEndpoint& b) { return a.priority < b.priority; });
  std::vector<PoolUrl> urls;
  for (const PoolEndpoint& p : options.pools) {
    absl::StatusOr<PoolUrl> url = ParsePoolUrl(p.url);
    if (!url.ok()) return url.status();
    urls.push_back(*url);
  }
  auto impl = std::make_unique<Impl>(std::move(options), std::move(callbacks), std::move(urls));
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() { Stop(); }
void Client::Start() { impl_->Start(); }
void Client::Stop() { impl_->Stop(); }
void Client::Submit(const ClientShare& share, std::function<void(const SubmitResult&)> done) {
  impl_->Submit(share, std::move(done));
}
void Client::SuggestDifficulty(double difficulty) { impl_->SuggestDifficulty(difficulty); }
void Client::SetNominalHashrate(double hashes_per_second) {
  impl_->SetNominalHashrate(hashes_per_second);
}
ClientStatus Client::Status() const { return impl_->Status(); }
absl::Status Client::SwitchPool(int index) { return impl_->SwitchPool(index); }
absl::StatusOr<int> Client::AddAndSwitchPool(PoolEndpoint pool) {
  return impl_->AddAndSwitchPool(std::move(pool));
}

}  // namespace synth::stratum
