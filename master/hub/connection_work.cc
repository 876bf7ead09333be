// One downstream miner's work: the pool it mines (routed by the host at subscribe, moved by it
// later), its extranonce, the jobs it is notified and its difficulty. The socket, the session's
// other questions and the shares: connection.cc.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "master/hub/hub_internal.h"

namespace synth::hub {

// ---- jobs and difficulty ----

stratum::Extranonce Connection::ExtranonceFor(const shares::JobNotice& n) const {
  stratum::Extranonce e;
  e.extranonce1 = n.extranonce1;
  std::vector<uint8_t> prefix = jobs::SlotPrefix(slot_, n.partition.prefix_bytes);
  e.extranonce1.insert(e.extranonce1.end(), prefix.begin(), prefix.end());
  e.extranonce2_size = n.partition.miner_bytes;
  return e;
}

bool Connection::HasExtranonceOf(const shares::JobNotice& n) const {
  const stratum::Extranonce& e = core_.extranonce();
  const std::vector<uint8_t>& pool = n.extranonce1;
  int prefix = n.partition.prefix_bytes;
  if (e.extranonce2_size != n.partition.miner_bytes ||
      e.extranonce1.size() != pool.size() + static_cast<size_t>(prefix) ||
      !std::equal(pool.begin(), pool.end(), e.extranonce1.begin())) {
    return false;
  }
  for (int i = 0; i < prefix; ++i) {  // The slot, big-endian (jobs::SlotPrefix).
    if (e.extranonce1[pool.size() + i] != static_cast<uint8_t>(slot_ >> (8 * (prefix - 1 - i)))) {
      return false;
    }
  }
  return true;
}

std::optional<double> Connection::Notify(const HubJob& job) {
  if (!core_.subscribed()) {
    if (core_.subscribe_pending()) CompleteWaitingSubscribe();
    return std::nullopt;
  }
  const shares::JobNotice& n = *job.notice;
  if (std::find(n.displaced.begin(), n.displaced.end(), source_) != n.displaced.end()) {
    Reconnect();  // Its slot no longer exists in a pool's new extranonce2.
    return std::nullopt;
  }
  if (n.pool != pool_) return std::nullopt;
  bool clean = n.clean || moved_;
  moved_ = false;
  if (!Send(job, clean) || !n.clean) return std::nullopt;
  if (out_.empty()) return Ms(absl::Now() - n.entered);  // Written to the socket just now.
  fanout_line_ = job.line;  // Timed when the queued write completes.
  fanout_entered_ = n.entered;
  return std::nullopt;
}

bool Connection::Send(const HubJob& job, bool clean) {
  const shares::JobNotice& n = *job.notice;
  // The extranonce changed (the pool's session, or a move to another pool): tell a miner that
  // subscribed to it, reconnect the others (they are routed again when they come back).
  if (!HasExtranonceOf(n) && !core_.SendExtranonce(ExtranonceFor(n))) {
    Reconnect();
    return false;
  }
  core_.UpdateVersionMask(n.version_mask);
  if (vardiff_) SendDifficultyIfChanged(vardiff_->SetBounds(miner_floor_, n.pool_difficulty));
  core_.SendNotify(job.id, clean, clean ? job.clean_line : job.line);
  return !closed_;
}

void Connection::MoveTo(size_t pool) {
  if (closed_ || pool == pool_) return;
  VLOG(1) << "stratum port: " << peer_ << " (slot " << slot_ << ") moves from pool " << pool_
          << " to pool " << pool;
  pool_ = pool;
  if (!core_.subscribed()) {  // Its subscribe waits for a job of its (new) pool.
    if (core_.subscribe_pending()) CompleteWaitingSubscribe();
    return;
  }
  const HubJob* job = hub_.current_job(pool);
  if (job == nullptr) {
    moved_ = true;  // The pool's first job reaches it through Notify, clean.
    return;
  }
  Send(*job, /*clean=*/true);
}

void Connection::SendDifficultyIfChanged(std::optional<double> d) {
  if (d.has_value()) core_.SendDifficulty(*d);
}

void Connection::Report() {
  if (source_ == 0 || !vardiff_) return;
  hub_.host_->UpdateSource(source_, worker_, vardiff_->difficulty(), vardiff_->measured_rate_hps());
}

// ---- subscribe: the pool it mines ----

absl::StatusOr<std::optional<stratum::Extranonce>> Connection::OnSubscribe(
    const stratum::SubscribeParams& p) {
  if (hub_.any_job() == nullptr) {
    waiting_ = p;  // No extranonce before the pool's first job: answered when it comes.
    return std::optional<stratum::Extranonce>();
  }
  if (absl::Status s = Grant(p); !s.ok()) return s;
  const HubJob* job = hub_.current_job(pool_);
  // The host routed it to a pool whose first job is still on its way here: answered then.
  if (job == nullptr) return std::optional<stratum::Extranonce>();
  return std::optional<stratum::Extranonce>(Begin(*job->notice));
}

void Connection::CompleteWaitingSubscribe() {
  if (waiting_) {
    stratum::SubscribeParams p = *std::move(waiting_);
    waiting_.reset();
    if (absl::Status s = Grant(p); !s.ok()) return core_.CompleteSubscribe(s);
  }
  const HubJob* job = hub_.current_job(pool_);
  if (source_ != 0 && job != nullptr) core_.CompleteSubscribe(Begin(*job->notice));
}

absl::Status Connection::Grant(const stratum::SubscribeParams& p) {
  // A session id is the extranonce1 we gave: a pool's, then the slot bytes.
  shares::SourceHello hello{peer_, core_.user_agent(),
                            hub_.ResumeSlotOf(p.session_id.value_or(""))};
  absl::StatusOr<shares::SourceGrant> g = hub_.host_->AddSource(hello);
  if (!g.ok()) {
    if (absl::IsResourceExhausted(g.status())) hub_.Count(&HubStats::refused_full);
    LOG_EVERY_T(WARNING, 10) << "stratum port: " << peer_ << " not subscribed: " << g.status();
    return g.status();
  }
  source_ = g->source;
  slot_ = g->slot;
  pool_ = g->pool;
  hub_.BindSource(this, source_);
  VLOG(1) << "stratum port: " << peer_ << " (" << core_.user_agent() << ") has slot " << slot_
          << (hello.resume_slot != 0 ? " (resumed)" : "") << " on pool " << pool_;
  return absl::OkStatus();
}

stratum::Extranonce Connection::Begin(const shares::JobNotice& n) {
  double start = hub_.options_.start_difficulty > 0 ? hub_.options_.start_difficulty
                                                    : n.pool_difficulty;
  vardiff_.emplace(hub_.options_.vardiff, start, absl::Now());
  vardiff_->SetBounds(miner_floor_, n.pool_difficulty);
  return ExtranonceFor(n);
}

void Connection::OnSubscribed() {
  core_.SendDifficulty(vardiff_->difficulty());
  const HubJob* job = hub_.current_job(pool_);
  core_.UpdateVersionMask(job->notice->version_mask);
  core_.SendNotify(job->id, /*clean=*/true, job->clean_line);
}

uint32_t Connection::ServerVersionMask() const {
  // mining.configure usually comes before the subscribe routes the miner: any pool's mask
  // then; its own pool's first notify narrows it (UpdateVersionMask).
  const HubJob* job = source_ != 0 ? hub_.current_job(pool_) : hub_.any_job();
  return job == nullptr ? 0 : job->notice->version_mask;
}

void Connection::OnDifficultyRequest(double difficulty, bool minimum) {
  miner_floor_ = difficulty;  // Both a BIP 310 minimum and a suggestion bound vardiff below.
  if (!vardiff_) return;  // Applied when the subscribe is answered.
  const HubJob* job = hub_.current_job(pool_);
  double ceiling = job != nullptr ? job->notice->pool_difficulty : 0;
  std::optional<double> d = vardiff_->SetBounds(miner_floor_, ceiling);
  if (!minimum) d = vardiff_->Suggest(difficulty, absl::Now());
  SendDifficultyIfChanged(d);
}

}  // namespace synth::hub
