// MasterConnection: what happens on each message from the master and each event from the
// scheduler and the stream reactor (master_connection.cc holds the stream lifecycle and timers).
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "worker/conn/master_connection.h"
#include "worker/conn/wire.h"

namespace synth::worker {

namespace v1 = ::synth::v1;

void MasterConnection::OnMessage(const v1::MasterMessage& msg) {
  switch (msg.msg_case()) {
    case v1::MasterMessage::kWelcome:
      OnWelcome(msg.welcome());
      break;
    case v1::MasterMessage::kLeaseGrant:
      OnGrant(msg.lease_grant());
      break;
    case v1::MasterMessage::kCancel:
      OnCancel(msg.cancel());
      break;
    case v1::MasterMessage::kShareVerdict:
      OnVerdict(msg.share_verdict());
      break;
    default:
      VLOG(1) << "ignoring master message of unknown kind " << msg.msg_case();
  }
}

void MasterConnection::OnWelcome(const v1::Welcome& welcome) {
  absl::MutexLock lock(&mu_);
  welcomed_ = true;
  stats_.connected = true;
  ++stats_.welcomes;
  backoff_.Reset();
  if (welcome.telemetry_interval_ms() > 0) {
    telemetry_interval_ = absl::Milliseconds(welcome.telemetry_interval_ms());
  }
  master_lease_seconds_ = welcome.lease_seconds();
  policy_.OnWelcomed();
  failover_timer_.Disarm();
  if (absl::Time probe = policy_.NextProbe(); probe != absl::InfiniteFuture()) {
    probe_timer_.ArmAt(probe);  // On a later master: watch the earlier ones.
  }
  LOG(INFO) << "master " << masters_[stream_master_].address << ": session "
            << welcome.session_id()
            << " (master " << welcome.master_version() << ", leases of "
            << welcome.lease_seconds() << " s) as worker " << options_.worker_id;
  FlushSharesLocked();  // Shares held from earlier streams go out first.
  last_telemetry_ = absl::InfinitePast();
  last_progress_ = absl::InfinitePast();
  telemetry_timer_.ArmAt(absl::Now());
  RequestLeaseIfLowLocked();
}

void MasterConnection::OnGrant(const v1::LeaseGrant& grant) {
  absl::MutexLock lock(&mu_);
  lease_outstanding_ = false;
  ++stats_.grants;
  for (const v1::Midstate& m : grant.midstates()) {
    absl::StatusOr<std::shared_ptr<const hash::ScanWork>> work = ParseMidstate(m);
    if (!work.ok()) {
      LOG(ERROR) << "master sent a bad midstate: " << work.status();
      continue;
    }
    midstates_[m.midstate_id()] = *std::move(work);
  }
  std::vector<WorkUnit> units;
  std::vector<UnitOutcome> unusable;
  for (const v1::WorkUnit& u : grant.units()) {
    auto it = midstates_.find(u.midstate_id());
    absl::StatusOr<WorkUnit> unit =
        it == midstates_.end()
            ? absl::InvalidArgumentError(absl::StrCat("unit ", u.unit_id(), " refers to midstate ",
                                                      u.midstate_id(), ", never received"))
            : ParseWorkUnit(u, it->second);
    if (!unit.ok()) {
      LOG(ERROR) << "master sent unusable work, returning it: " << unit.status();
      unusable.push_back({u.unit_id(), u.job_id(), UnitState::kReturned, 0});
      continue;
    }
    // The scheduler knows the unit under the worker's own id: two masters may use the same.
    uint64_t local = next_unit_id_++;
    leased_[u.unit_id()] = local;
    units_[local] = Leased{stream_master_, u.unit_id(), stream_seq_};
    unit->unit_id = local;
    units.push_back(*std::move(unit));
  }
  stats_.units_leased += units.size();
  // AddUnits never calls back into this connection, so it may run under mu_; doing so keeps a
  // grant from landing after the stream's EndStreamLocked + CancelAll.
  absl::Status added = scheduler_->AddUnits(std::move(units));
  if (!added.ok()) LOG(ERROR) << "lease " << grant.lease_id() << ": " << added;
  if (!unusable.empty() && stream_ != nullptr) stream_->Send(ProgressMessage(unusable));
  // Midstates no queued unit refers to any more are dropped, bounding the cache.
  if (midstates_.size() > 4096) {
    absl::erase_if(midstates_, [](const auto& kv) { return kv.second.use_count() == 1; });
  }
  RequestLeaseIfLowLocked();  // A small or empty grant may leave the buffer low.
}

void MasterConnection::OnCancel(const v1::Cancel& cancel) {
  Scheduler* scheduler;
  std::vector<uint64_t> unit_ids;  // The worker's ids of the master's units.
  {
    absl::MutexLock lock(&mu_);
    scheduler = scheduler_;
    ++stats_.cancels;
    for (uint64_t remote : cancel.unit_ids()) {
      if (auto it = leased_.find(remote); it != leased_.end()) unit_ids.push_back(it->second);
    }
  }
  // Outside mu_: the scheduler reports the cancelled units through OnUnitDone at once.
  int n = 0;
  if (cancel.all()) n += scheduler->CancelAll();
  if (cancel.job_ids_size() > 0) {
    n += scheduler->CancelJobs({cancel.job_ids().begin(), cancel.job_ids().end()});
  }
  if (!unit_ids.empty()) n += scheduler->CancelUnits(unit_ids);
  VLOG(1) << "cancel (" << v1::CancelReason_Name(cancel.reason()) << ", " << cancel.detail()
          << "): " << n << " units";
}

void MasterConnection::OnVerdict(const v1::ShareVerdict& verdict) {
  outbox_.Ack(verdict.share_id());
  absl::MutexLock lock(&mu_);
  ++stats_.verdicts[v1::ShareState_Name(verdict.state())];
  if (returning_to_ >= 0) FinishReturnIfReadyLocked(/*force=*/false);
  if (verdict.state() == v1::SHARE_STATE_ACCEPTED) {
    ++stats_.shares_accepted;
    return;
  }
  if (verdict.state() == v1::SHARE_STATE_STALE) {
    ++stats_.shares_stale;
    VLOG(1) << "share " << verdict.share_id() << " stale: " << verdict.reason();
    return;
  }
  ++(verdict.state() == v1::SHARE_STATE_REJECTED ? stats_.shares_rejected
                                                  : stats_.shares_invalid);
  LOG(WARNING) << "share " << verdict.share_id() << ": " << v1::ShareState_Name(verdict.state())
               << (verdict.pool_code() != 0 ? absl::StrCat(" (pool code ", verdict.pool_code(), ")")
                                            : "")
               << " " << verdict.reason();
}

void MasterConnection::OnShare(FoundShare share) {
  absl::MutexLock lock(&mu_);
  // Shares of a unit arrive before its outcome, so the unit is still known.
  int master = stream_master_;
  if (auto it = units_.find(share.unit_id); it != units_.end()) {
    master = it->second.master;
    share.unit_id = it->second.remote_id;
  }
  outbox_.Add(std::move(share), master);
  if (master != policy_.current() && left_at_[master] == absl::InfiniteFuture()) {
    left_at_[master] = absl::Now();  // Found after the move, on work already cancelled.
    lost_timer_.ArmNoLaterThan(left_at_[master] + options_.master_lost_after);
  }
  FlushSharesLocked();
}

void MasterConnection::OnUnitDone(UnitOutcome outcome) {
  absl::MutexLock lock(&mu_);
  auto it = units_.find(outcome.unit_id);
  if (it == units_.end()) return;
  Leased unit = it->second;
  units_.erase(it);
  if (returning_to_ >= 0) FinishReturnIfReadyLocked(/*force=*/false);
  // A unit of a stream that has ended is not reported: that master re-queued it.
  if (unit.stream != stream_seq_ || stream_ == nullptr || !leased_.erase(unit.remote_id)) return;
  outcome.unit_id = unit.remote_id;
  if (outcome.state == UnitState::kCompleted) ++stats_.units_completed;
  bool returned = outcome.state == UnitState::kReturned;
  progress_.push_back(std::move(outcome));
  if (returned) return FlushProgressLocked();
  progress_timer_.ArmNoLaterThan(
      std::max(absl::Now(), last_progress_ + options_.progress_interval));
}

void MasterConnection::OnDrained() {
  absl::MutexLock lock(&mu_);
  if (stream_ == nullptr) return;
  if (deferred_) {
    deferred_ = false;
    FlushSharesLocked();
    FlushProgressLocked();
  }
  // Shutdown waits for an empty queue: ask again while writes are still going out.
  if (draining_ && stream_->Backlog() > 0) stream_->NotifyWhenBacklogAtMost(0);
}

bool MasterConnection::WriteQueueFullLocked() {
  if (stream_->Backlog() < options_.max_write_backlog) return false;
  deferred_ = true;  // OnDrained sends them.
  stream_->NotifyWhenBacklogAtMost(options_.max_write_backlog / 2);
  if (stats_.writes_deferred++ % 1000 == 0) {
    LOG(WARNING) << "master " << masters_[stream_master_].address << " is not reading ("
                 << stream_->Backlog()
                 << " messages queued): shares wait in the outbox ("
                 << outbox_.Counts().unsent << " unsent), progress in memory ("
                 << progress_.size() << " units); deferred " << stats_.writes_deferred
                 << " time(s)";
  }
  return true;
}

void MasterConnection::FlushSharesLocked() {
  if (stream_ == nullptr || !welcomed_) return;  // Held until the next welcome.
  if (WriteQueueFullLocked()) return;            // Sent once the queue drains.
  // Only this master's shares: one found on another master's work is valid only there.
  for (const PendingShare& p :
       outbox_.TakeUnsent(options_.max_write_backlog - stream_->Backlog(), stream_master_)) {
    // A failed Send means the stream just ended; EndStreamLocked requeues it.
    stream_->Send(ShareMessage(p));
  }
  if (outbox_.HasUnsent(stream_master_)) {  // More than the queue had room for: the rest
    deferred_ = true;                       // goes out as it drains.
    stream_->NotifyWhenBacklogAtMost(options_.max_write_backlog / 2);
  }
}

void MasterConnection::FlushProgressLocked() {
  if (stream_ == nullptr || !welcomed_ || progress_.empty()) return;
  if (WriteQueueFullLocked()) return;
  stream_->Send(ProgressMessage(progress_));
  progress_.clear();
  last_progress_ = absl::Now();
}

void MasterConnection::Shutdown(Scheduler* scheduler, absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
  }
  telemetry_timer_.Disarm();
  scheduler->Stop();  // Unfinished units come back as RETURNED and are flushed at once.
  {
    // Verdicts (OnVerdict) and the drained write queue (OnDrained) take mu_, so the condition is
    // looked at again on each; nothing polls.
    absl::MutexLock lock(&mu_);
    auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return stream_ == nullptr || !welcomed_ ||
             (outbox_.PendingFor(stream_master_) == 0 && stream_->Backlog() == 0);
    };
    if (!settled()) stream_->NotifyWhenBacklogAtMost(0);
    mu_.AwaitWithTimeout(absl::Condition(&settled), grace);
  }
  CloseAndWait(/*graceful=*/true);
  OutboxCounts c = outbox_.Counts();
  if (c.pending > 0) {
    LOG(WARNING) << c.pending << " shares still unanswered at shutdown (found " << c.found
                 << ", answered " << c.answered << ")";
  }
}

ConnectionStats MasterConnection::Stats() const {
  absl::MutexLock lock(&mu_);
  ConnectionStats s = stats_;
  s.outbox = outbox_.Counts();
  s.write_backlog = stream_ != nullptr ? stream_->Backlog() : 0;
  s.master = masters_[policy_.current()].address;
  s.master_moves = static_cast<uint64_t>(policy_.moves());
  s.shares_master_lost = s.outbox.master_lost;
  s.wakeups = reconnect_timer_.Fired() + lease_timer_.Fired() + progress_timer_.Fired() +
              telemetry_timer_.Fired();
  return s;
}

}  // namespace synth::worker
