// The Cluster as shares::SourceHost: downstream Stratum miners (docs/HUB.md) get an extranonce2
// slot, enter tuning (their rate counts in the cluster's; they are leased nothing), and their
// shares go through the same validator and ledger as the workers'.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "master/service/cluster.h"

namespace synth::service {
namespace {

constexpr char kDevice[] = "stratum";

// The answer a miner gets for a final state.
shares::SourceVerdict VerdictOf(shares::ShareState state, int code, const std::string& reason,
                                double difficulty) {
  using shares::ShareState;
  shares::SourceVerdict v{false, code, reason, difficulty};
  switch (state) {
    case ShareState::kAccepted:
    case ShareState::kLocal:
      v = {true, 0, "", difficulty};
      break;
    case ShareState::kStale:
      v.code = stratum::kErrJobNotFound;
      break;
    case ShareState::kDuplicate:
      v.code = stratum::kErrDuplicate;
      break;
    case ShareState::kBelowTarget:
      v.code = stratum::kErrLowDifficulty;
      break;
    case ShareState::kPoolDown:
      v.code = stratum::kErrOther;
      v.reason = absl::StrCat("Pool unavailable: ", reason);
      break;
    default:
      if (v.code == 0) v.code = stratum::kErrOther;
  }
  if (!v.accepted && v.reason.empty()) v.reason = shares::ShareStateName(state);
  return v;
}

}  // namespace

void Cluster::NoticeJobLocked(bool clean, absl::Time entered) {
  if (options_.jobs.downstream_slots == 0) return;
  const jobs::JobInfo* info = jobs_.FindJob(jobs_.current());
  if (info == nullptr) return;
  const jobs::UpstreamJob& j = info->builder.job();
  auto n = std::make_shared<shares::JobNotice>();
  n->job_key = info->key;
  n->job = info->stratum;
  n->clean = clean;
  n->pool_difficulty = j.difficulty;
  n->extranonce1 = j.extranonce1;
  n->extranonce2_size = j.extranonce2_size;
  n->partition = info->partition;
  n->version_mask = j.version_mask;
  n->entered = entered;
  if (notice_ == nullptr || notice_->partition != n->partition ||
      notice_->extranonce2_size != n->extranonce2_size) {
    // Said once per upstream session shape: at start-up and when a pool changes it.
    LOG(INFO) << "stratum port: " << jobs::DescribePartition(j.extranonce2_size, n->partition);
    n->displaced = slots_.SetCapacity(n->partition.slots);
  }
  notice_ = n;
  if (source_port_ != nullptr) source_port_->OnJob(std::move(n));
}

void Cluster::SetSourcePort(shares::SourcePort* port) {
  absl::MutexLock lock(&mu_);
  source_port_ = port;
  if (port != nullptr && notice_ != nullptr) port->OnJob(notice_);
}

absl::StatusOr<shares::SourceGrant> Cluster::AddSource(const shares::SourceHello& hello) {
  absl::MutexLock lock(&mu_);
  if (notice_ == nullptr) return absl::UnavailableError("no job from the pool yet");
  if (notice_->partition.slots == 0) {
    return absl::UnavailableError(
        jobs::DescribePartition(notice_->extranonce2_size, notice_->partition));
  }
  uint64_t id = next_session_++;
  absl::StatusOr<uint64_t> slot = slots_.Acquire(id, hello.resume_slot, jobs_.oldest_live_seq());
  if (!slot.ok()) return slot.status();
  auto s = std::make_unique<Source>();
  s->id = id;
  s->slot = *slot;
  s->name = hello.peer;
  s->user_agent = hello.user_agent;
  s->peer = hello.peer;
  s->connected = clock_->Now();
  tuning_.AddWorker(id, {{.name = kDevice, .kind = kDevice, .impl = hello.user_agent}});
  sources_.emplace(id, std::move(s));
  return shares::SourceGrant{id, *slot};
}

void Cluster::UpdateSource(uint64_t source, const std::string& name, double difficulty,
                           double rate_hps) {
  absl::MutexLock lock(&mu_);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  if (!name.empty()) it->second->name = name.substr(0, 128);
  it->second->difficulty = difficulty;
  tuning_.OnTelemetry(source, kDevice, rate_hps, 0);
}

void Cluster::RemoveSource(uint64_t source) {
  absl::MutexLock lock(&mu_);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  slots_.Release(source, jobs_.newest_seq());
  tuning_.RemoveWorker(source);
  sources_.erase(it);
  // Verdicts of its pending shares have nowhere to go; the ledger still resolves them.
  for (auto& [id, p] : pending_) {
    if (p.source == source) p.source = 0;
  }
}

void Cluster::CountRefused(uint64_t source, bool rate_limited) {
  absl::MutexLock lock(&mu_);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  shares::ShareState state =
      rate_limited ? shares::ShareState::kRateLimited : shares::ShareState::kStale;
  validator_.CountUnchecked(state);
  ++it->second->shares.found;
  CountIn(it->second->shares, state, 0);
}

shares::SourceOutcome Cluster::SubmitShare(uint64_t source, const shares::SourceShare& share) {
  shares::SourceOutcome out;
  std::optional<Submission> submit;
  {
    absl::MutexLock lock(&mu_);
    auto it = sources_.find(source);
    if (it == sources_.end()) {
      out.verdict = {false, stratum::kErrOther, "Not subscribed", 0};
      return out;
    }
    Source& s = *it->second;
    shares::ShareCheck c = validator_.ValidateStratum(
        {share.job_key, s.slot, share.params, share.difficulty, share.version_mask});
    ++s.shares.found;
    out.valid = c.state == shares::ShareState::kPending || c.state == shares::ShareState::kLocal;
    if (out.valid) {
      tuning_.OnShare(source, kDevice, true, c.difficulty);
      verified_difficulty_ += c.difficulty;
    }
    if (c.state != shares::ShareState::kPending) {
      CountIn(s.shares, c.state, c.difficulty);
      out.verdict = VerdictOf(c.state, c.code, c.reason, c.difficulty);
      if (c.state != shares::ShareState::kLocal) {
        RecordShareLocked(s.name, kDevice, share.share_id, share.job_key, share.params.nonce,
                          c.difficulty, c.state, c.reason, 0);
      }
      return out;
    }
    uint64_t id = next_pending_++;
    PendingShare p;
    p.source = source;
    p.share_id = share.share_id;
    p.device = kDevice;
    p.difficulty = c.pool_difficulty;  // What an accepted share is worth upstream.
    p.worker_id = s.name;
    p.job_key = share.job_key;
    p.nonce = share.params.nonce;
    pending_[id] = std::move(p);
    submit = Submission{id, *std::move(c.submit), 0};
  }
  out.pending = true;
  SubmitUpstream(std::move(*submit));
  return out;
}

void Cluster::ResolveSourceLocked(const PendingShare& p, shares::ShareState state,
                                  const jobs::SubmitResult& result) {
  auto it = sources_.find(p.source);
  if (it == sources_.end()) return;
  CountIn(it->second->shares, state, p.difficulty);
  if (source_port_ != nullptr) {
    source_port_->OnVerdict(p.source, p.share_id,
                            VerdictOf(state, result.code, result.reason, p.difficulty));
  }
}

void Cluster::FillSourcesLocked(absl::Time now, v1::WorkersResponse* out) const {
  absl::flat_hash_set<std::string> names;
  for (const v1::WorkerStatus& w : out->workers()) names.insert(w.worker_id());
  std::vector<const Source*> sorted;
  for (const auto& [id, s] : sources_) sorted.push_back(s.get());
  std::sort(sorted.begin(), sorted.end(), [](const Source* a, const Source* b) { return a->slot < b->slot; });
  for (const Source* s : sorted) {
    v1::WorkerStatus* w = out->add_workers();
    // Two machines may authorize with one name: the slot tells them apart in the views.
    std::string id = names.insert(s->name).second ? s->name : absl::StrCat(s->name, "#", s->slot);
    w->set_worker_id(id);
    w->set_hostname(s->peer.substr(0, s->peer.rfind(':')));
    w->set_peer(s->peer);
    w->set_version(s->user_agent);
    w->set_kind("stratum");
    w->set_user_agent(s->user_agent);
    w->set_user(s->name);
    w->set_difficulty(s->difficulty);
    w->set_lease_state("stratum");
    w->set_connected_s(absl::ToDoubleSeconds(now - s->connected));
    // A miner reports nothing itself: its rate is measured from its shares (vardiff's window,
    // then tuning's verified window before the first one completes).
    double reported = tuning_.ReportedRate(s->id);
    w->set_reported_rate_hps(reported > 0 ? reported : tuning_.VerifiedRate(s->id));
    w->set_verified_rate_hps(tuning_.VerifiedRate(s->id));
    w->set_work_ratio(tuning_.WorkRatio(s->id));
    ToProto(s->shares, w->mutable_shares());
    FillDevicesLocked(s->id, s->connected, now, w);
  }
}

void Cluster::FillPortLocked(v1::StatusResponse* out) const {
  if (source_port_ == nullptr) return;
  shares::PortStats p = source_port_->Stats();
  v1::StratumPortStatus* s = out->mutable_stratum_port();
  s->set_listen(p.listen);
  s->set_connections(static_cast<uint32_t>(p.connections));
  s->set_connections_total(p.connections_total);
  s->set_refused(p.refused_allow + p.refused_full);
  s->set_dropped(p.dropped_bad_input + p.dropped_timeout);
  s->set_shares_forwarded(p.shares_forwarded);
  s->set_shares_local(p.shares_local);
  s->set_shares_refused(p.shares_refused);
  s->set_share_path_p50_ms(p.share_path_p50_ms);
  s->set_share_path_p99_ms(p.share_path_p99_ms);
  s->set_share_path_samples(p.share_path_samples);
  s->set_clean_fanout_p50_ms(p.fanout_p50_ms);
  s->set_clean_fanout_p99_ms(p.fanout_p99_ms);
  s->set_clean_fanout_max_ms(p.fanout_max_ms);
  if (notice_ != nullptr) {
    s->set_slot_bytes(notice_->partition.prefix_bytes);
    s->set_miner_bytes(notice_->partition.miner_bytes);
  }
  s->set_slots_held(slots_.held());
}

}  // namespace synth::service
