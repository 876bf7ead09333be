#include "master/service/source_hub.h"

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

void SourceHub::NoticeJobLocked(bool clean, absl::Time entered) {
  if (core_->jobs.options().downstream_slots == 0) return;
  const jobs::JobInfo* info = core_->jobs.FindJob(core_->jobs.current());
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
    // Said once per shape of the pool's session: at start-up, and when a pool changes it; a
    // warning when the pool's extranonce2 is too short for the preferred split.
    bool short_space = n->partition.reduced || n->partition.slots == 0;
    LOG_IF(WARNING, short_space) << "stratum port: "
                                 << jobs::DescribePartition(j.extranonce2_size, n->partition);
    LOG_IF(INFO, !short_space) << "stratum port: "
                               << jobs::DescribePartition(j.extranonce2_size, n->partition);
    n->displaced = slots_.SetCapacity(n->partition.slots);
  }
  notice_ = n;
  if (port_ != nullptr) port_->OnJob(std::move(n));
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
  if (port != nullptr && notice_ != nullptr) port->OnJob(notice_);
}

absl::StatusOr<shares::SourceGrant> SourceHub::AddSource(const shares::SourceHello& hello) {
  absl::MutexLock lock(&core_->mu);
  if (notice_ == nullptr) return absl::UnavailableError("no job from the pool yet");
  if (notice_->partition.slots == 0) {
    return absl::UnavailableError(
        jobs::DescribePartition(notice_->extranonce2_size, notice_->partition));
  }
  uint64_t id = core_->next_id++;
  absl::StatusOr<uint64_t> slot = slots_.Acquire(id, hello.resume_slot, core_->jobs.oldest_live_seq());
  if (!slot.ok()) return slot.status();
  auto s = std::make_unique<Source>();
  s->id = id;
  s->slot = *slot;
  s->identity = absl::StrCat("stratum/", *slot);
  s->name = hello.peer;
  s->user_agent = hello.user_agent;
  s->peer = hello.peer;
  s->connected = core_->clock->Now();
  core_->tuning.AddWorker(id, {{.name = kDevice, .kind = kDevice, .impl = hello.user_agent}});
  AttachLocked(*s, port_);
  sources_.emplace(id, std::move(s));
  return shares::SourceGrant{id, *slot};
}

void SourceHub::UpdateSource(uint64_t source, const std::string& name, double difficulty,
                           double rate_hps) {
  absl::MutexLock lock(&core_->mu);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  if (!name.empty()) it->second->name = name.substr(0, 128);
  it->second->difficulty = difficulty;
  core_->tuning.OnTelemetry(source, kDevice, rate_hps, 0);
}

void SourceHub::RemoveSource(uint64_t source) {
  absl::MutexLock lock(&core_->mu);
  auto it = sources_.find(source);
  if (it == sources_.end()) return;
  // Its pending shares are still resolved by the ledger (and answered on a resumed session).
  AttachLocked(*it->second, nullptr);
  slots_.Release(source, core_->jobs.newest_seq());
  core_->tuning.RemoveWorker(source);
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
