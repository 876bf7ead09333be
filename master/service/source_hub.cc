#include "master/service/source_hub.h"

#include <algorithm>
#include <tuple>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "proto/share_states.h"

namespace synth::service {
namespace {

constexpr char kDevice[] = "stratum";

// A miner's share as the ledger sees it: the connection's identity (its slot), its id from the
// port, and a fingerprint of what it claims.
shares::LedgerShare LedgerShareOf(const Source& s, const shares::SourceShare& share) {
  const stratum::SubmitParams& p = share.params;
  return {.source = s.identity,
          .connection = s.id,
          .share_id = share.share_id,
          .fingerprint = absl::Hash<std::tuple<std::string, std::vector<uint8_t>, uint32_t,
                                               uint32_t, uint32_t>>{}(
              {share.job_key, p.extranonce2, p.ntime, p.nonce, p.version_bits.value_or(0)}),
          .device = kDevice,
          .job_key = share.job_key,
          .nonce = p.nonce};
}

}  // namespace

shares::SourceVerdict SourceVerdictOf(const shares::Verdict& v) {
  shares::SourceVerdict out{false, stratum::kErrOther, v.reason, v.difficulty};
  switch (v.state) {
    case v1::SHARE_STATE_ACCEPTED:
    case v1::SHARE_STATE_LOCAL:
      return {true, 0, "", v.difficulty};
    case v1::SHARE_STATE_STALE:
      out.code = stratum::kErrJobNotFound;
      break;
    case v1::SHARE_STATE_DUPLICATE:
      out.code = stratum::kErrDuplicate;
      break;
    case v1::SHARE_STATE_BELOW_TARGET:
      out.code = stratum::kErrLowDifficulty;
      break;
    case v1::SHARE_STATE_REJECTED:
      if (v.pool_code != 0) out.code = v.pool_code;
      break;
    default:
      break;
  }
  if (out.reason.empty()) out.reason = std::string(proto::ShareStateName(v.state));
  return out;
}

void SourceHub::NoticeJobLocked(size_t pool, bool clean, absl::Time entered) {
  if (core_->jobs.options().downstream_slots == 0) return;
  const jobs::JobInfo* info = core_->jobs.FindJob(core_->jobs.current(pool));
  if (info == nullptr) return;
  const jobs::UpstreamJob& j = info->builder.job();
  auto n = std::make_shared<shares::JobNotice>();
  n->job_key = info->key;
  n->pool = pool;
  n->job = info->stratum;
  n->clean = clean;
  n->pool_difficulty = j.difficulty;
  n->extranonce1 = j.extranonce1;
  n->extranonce2_size = j.extranonce2_size;
  n->partition = info->partition;
  n->version_mask = j.version_mask;
  n->entered = entered;
  if (notices_.size() <= pool) notices_.resize(pool + 1);
  const shares::JobNotice* last = notices_[pool].get();
  notices_[pool] = n;
  if (last == nullptr || last->partition != n->partition ||
      last->extranonce2_size != n->extranonce2_size) {
    // Said once per shape of a pool's session: at start-up, and when a pool changes it; a
    // warning when the pool's extranonce2 is too short for the preferred split.
    bool short_space = n->partition.reduced || n->partition.slots == 0;
    LOG_IF(WARNING, short_space) << "stratum port: pool " << pool << ": "
                                 << jobs::DescribePartition(j.extranonce2_size, n->partition);
    LOG_IF(INFO, !short_space) << "stratum port: pool " << pool << ": "
                               << jobs::DescribePartition(j.extranonce2_size, n->partition);
    n->displaced = slots_.SetCapacity(CapacityLocked());
  }
  if (port_ != nullptr) port_->OnJob(std::move(n));
}

const shares::JobNotice* SourceHub::any_notice() const {
  for (const auto& n : notices_) {
    if (n != nullptr) return n.get();
  }
  return nullptr;
}

uint64_t SourceHub::CapacityLocked() const {
  uint64_t capacity = 0;
  for (const auto& n : notices_) {
    if (n == nullptr || n->partition.slots == 0) continue;
    capacity = capacity == 0 ? n->partition.slots : std::min(capacity, n->partition.slots);
  }
  return capacity;
}

std::vector<bool> SourceHub::EligibleLocked() const {
  std::vector<bool> eligible(notices_.size(), false);
  std::vector<lease::PoolAssignment> totals = core_->leases.assigner().Totals();
  for (size_t pool = 0; pool < notices_.size(); ++pool) {
    eligible[pool] = notices_[pool] != nullptr && notices_[pool]->partition.slots > 0 &&
                     (!split_ || (pool < totals.size() && totals[pool].share > 0));
  }
  return eligible;
}

std::optional<size_t> SourceHub::RouteLocked(double rate_hps,
                                             const std::vector<bool>& eligible) const {
  if (!split_) return !eligible.empty() && eligible[0] ? std::optional<size_t>(0) : std::nullopt;
  return core_->leases.assigner().Route(rate_hps, leased_rate_, eligible);
}

void SourceHub::RerouteLocked() {
  if (!split_ || sources_.empty()) return;
  std::vector<bool> eligible = EligibleLocked();
  std::vector<uint64_t> stranded;
  for (const auto& [id, s] : sources_) {
    if (s->pool >= eligible.size() || !eligible[s->pool]) stranded.push_back(id);
  }
  if (stranded.empty()) return;
  std::sort(stranded.begin(), stranded.end());  // Oldest first: the same order on every run.
  lease::PoolAssigner& assigner = core_->leases.assigner();
  size_t moved = 0;
  for (uint64_t id : stranded) {
    Source& s = *sources_.at(id);
    double rate = core_->tuning.ReportedRate(id);
    assigner.RemoveConnection(id);  // Routed as if new, among the others.
    std::optional<size_t> pool = RouteLocked(rate, eligible);
    if (!pool.has_value()) {  // No pool can take miners now: it stays, moved when one can.
      assigner.AddConnection(id, s.pool, rate);
      continue;
    }
    assigner.AddConnection(id, *pool, rate);
    s.pool = *pool;
    ++moved;
    if (port_ != nullptr) port_->OnMove(id, *pool);
  }
  LOG_IF(INFO, moved > 0) << "stratum port: " << moved << " of " << stranded.size()
                          << " miners of pools that left the split moved to live pools";
}

void SourceHub::CreditLocked() {
  if (!split_) return;
  absl::Time now = core_->clock->Now();
  lease::PoolAssigner& assigner = core_->leases.assigner();
  if (last_credit_ != absl::InfinitePast()) {
    assigner.CreditConnections(absl::ToDoubleSeconds(now - last_credit_));
  }
  last_credit_ = now;
  if (now - leased_at_ < absl::Seconds(1)) return;
  // The leased workers' rate for Route, about once a second (it walks every worker): the
  // cluster's without the miners'.
  leased_at_ = now;
  leased_rate_ = core_->tuning.ClusterReportedRate();
  for (const lease::PoolAssignment& p : assigner.Totals()) leased_rate_ -= p.downstream_rate;
  leased_rate_ = std::max(0.0, leased_rate_);
}

void SourceHub::AttachLocked(Source& s, shares::SourcePort* port) {
  if (port == nullptr) {
    core_->ledger.Detach(s.identity, s.id);  // Deliver is not called after this returns.
    s.port = nullptr;
    return;
  }
  s.port = port;
  core_->ledger.Attach(s.identity, s.id, &s);
}

void SourceHub::SetSourcePort(shares::SourcePort* port) {
  absl::MutexLock lock(&core_->mu);
  port_ = port;
  for (auto& [id, s] : sources_) AttachLocked(*s, port);
  if (port == nullptr) return;
  for (const auto& n : notices_) {
    if (n != nullptr) port->OnJob(n);
  }
}

absl::StatusOr<shares::SourceGrant> SourceHub::AddSource(const shares::SourceHello& hello) {
  absl::MutexLock lock(&core_->mu);
  const shares::JobNotice* any = any_notice();
  if (any == nullptr) return absl::UnavailableError("no job from the pool yet");
  if (CapacityLocked() == 0) {
    return absl::UnavailableError(jobs::DescribePartition(any->extranonce2_size, any->partition));
  }
  // A miner's rate is not known when it subscribes: the assigner counts it as the mean of the
  // miners it knows (docs/CLUSTER.md "Pool split").
  std::optional<size_t> pool = RouteLocked(0, EligibleLocked());
  if (!pool.has_value()) return absl::UnavailableError("no pool of the split can take miners now");
  uint64_t id = core_->next_id++;
  absl::StatusOr<uint64_t> slot =
      slots_.Acquire(id, hello.resume_slot, core_->jobs.oldest_live_seq());
  if (!slot.ok()) return slot.status();
  auto s = std::make_unique<Source>();
  s->id = id;
  s->slot = *slot;
  s->pool = *pool;
  s->identity = absl::StrCat("stratum/", *slot);
  s->name = hello.peer;
  s->user_agent = hello.user_agent;
  s->peer = hello.peer;
  s->connected = core_->clock->Now();
  core_->tuning.AddWorker(id, {{.name = kDevice, .kind = kDevice, .impl = hello.user_agent}});
  if (split_) core_->leases.assigner().AddConnection(id, *pool, 0);
  AttachLocked(*s, port_);
  sources_.emplace(id, std::move(s));
  return shares::SourceGrant{id, *slot, *pool};
}

void SourceHub::UpdateSource(uint64_t source, const std::string& name, double difficulty,
                             double rate_hps) {
  absl::MutexLock lock(&core_->mu);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  if (!name.empty()) it->second->name = name.substr(0, 128);
  it->second->difficulty = difficulty;
  core_->tuning.OnTelemetry(source, kDevice, rate_hps, 0);
  if (split_) core_->leases.assigner().SetConnectionRate(source, rate_hps);
}

void SourceHub::RemoveSource(uint64_t source) {
  absl::MutexLock lock(&core_->mu);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  // Its pending shares are still resolved by the ledger (and answered on a resumed session).
  AttachLocked(*it->second, nullptr);
  slots_.Release(source, core_->jobs.newest_seq());
  core_->tuning.RemoveWorker(source);
  if (split_) core_->leases.assigner().RemoveConnection(source);
  sources_.erase(it);
}

void SourceHub::CountRefused(uint64_t source, uint64_t share_id, bool rate_limited) {
  absl::MutexLock lock(&core_->mu);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  shares::SourceShare refused{.share_id = share_id};
  core_->ledger.Decide(LedgerShareOf(*it->second, refused),
                 {.state = rate_limited ? v1::SHARE_STATE_RATE_LIMITED : v1::SHARE_STATE_STALE,
                  .reason = rate_limited ? "over the port's request or pending limit"
                                         : "job no longer notified"});
}

shares::SourceOutcome SourceHub::SubmitShare(uint64_t source, const shares::SourceShare& share) {
  shares::SourceOutcome out;
  std::optional<Core::Submission> submit;
  {
    absl::MutexLock lock(&core_->mu);
    auto it = sources_.find(source);
    if (it == sources_.end()) return out;  // Gone: nobody to answer.
    Source& s = *it->second;
    shares::LedgerShare ls = LedgerShareOf(s, share);
    if (core_->ledger.Resend(ls)) return out;  // Sent again on a resumed session: its first verdict.
    shares::ShareCheck c = core_->validator.ValidateStratum(
        {share.job_key, s.slot, share.params, share.difficulty, share.version_mask});
    ls.hash_difficulty = c.hash_difficulty;
    out.valid = c.state == v1::SHARE_STATE_PENDING || c.state == v1::SHARE_STATE_LOCAL;
    if (out.valid) {
      core_->tuning.OnShare(source, kDevice, true, c.difficulty);
      core_->verified_difficulty += c.difficulty;
    }
    if (c.state != v1::SHARE_STATE_PENDING) {
      core_->ledger.Decide(ls, {.state = c.state, .reason = c.reason, .difficulty = c.difficulty});
      return out;
    }
    // An accepted share is worth the pool's difficulty upstream.
    submit = Core::Submission{core_->ledger.Submit(ls, c.submit->difficulty), *std::move(c.submit), 0};
  }
  out.forwarded = true;
  core_->Submit(std::move(*submit));
  return out;
}

}  // namespace synth::service
