// One downstream miner of the master's Stratum port: non-blocking socket I/O (reads into the
// port's shared buffer; writes straight to the socket, queued only while it is full), the
// session core, and the port's answers to it (slots, password, vardiff, shares).
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"
#include "master/hub/hub_internal.h"
#include "openssl/crypto.h"

namespace synth::hub {
namespace {

stratum::ServerSessionOptions SessionOptions(const HubOptions& o) {
  stratum::ServerSessionOptions s;
  s.max_line = o.max_line;
  s.max_requests_per_s = o.max_requests_per_s;
  s.max_pending_submits = o.max_pending_submits;
  return s;
}

// Compares in constant time (for a given length), as the gRPC token check does.
bool SameSecret(const std::string& got, const std::string& want) {
  return got.size() == want.size() && CRYPTO_memcmp(got.data(), want.data(), got.size()) == 0;
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

}  // namespace

Connection::Connection(StratumHub::Impl& hub, asio::ip::tcp::socket socket, std::string peer)
    : hub_(hub),
      socket_(std::move(socket)),
      peer_(std::move(peer)),
      core_(SessionOptions(hub.options_), this) {}

void Connection::Start() {
  accepted_ = last_line_ = absl::Now();
  VLOG(1) << "stratum port: " << peer_ << " connected";
  WaitRead();
}

void Connection::Close(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  if (!why.empty()) {
    LOG(WARNING) << "stratum port: dropping " << peer_ << (worker_.empty() ? "" : " (")
                 << worker_ << (worker_.empty() ? "" : ")") << ": " << why;
  }
  asio::error_code ec;
  socket_.close(ec);
  if (source_ != 0) hub_.host_->RemoveSource(source_);
  hub_.Forget(this);  // May drop the last reference but one: handlers hold their own.
}

void Connection::Reconnect() {
  if (closed_) return;
  core_.SendReconnect({});
  if (out_.empty()) return Close("");
  close_after_flush_ = true;
}

// ---- reading ----

void Connection::WaitRead() {
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       if (self->closed_) return;
                       if (ec) return self->Close("");
                       self->ReadSome();
                     });
}

void Connection::ReadSome() {
  read_at_ = absl::Now();
  auto& buf = hub_.read_buffer();
  for (int round = 0; round < 4 && !closed_; ++round) {  // Then let other connections run.
    asio::error_code ec;
    size_t n = socket_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) break;
    if (ec) return Close("");
    absl::string_view bytes(buf.data(), n);
    if (bytes.find('\n') != absl::string_view::npos) last_line_ = read_at_;
    absl::Status s = core_.Feed(bytes, read_at_);
    if (closed_) return;
    if (!s.ok()) {
      hub_.Count(&HubStats::dropped_bad_input);
      return Close(absl::StrCat("bad input: ", s.message()));
    }
    if (core_.partial_bytes() == 0) {
      partial_since_ = absl::InfiniteFuture();
    } else if (partial_since_ == absl::InfiniteFuture()) {
      partial_since_ = read_at_;
    }
    if (n < buf.size()) break;
  }
  if (!closed_) WaitRead();
}

// ---- writing ----

void Connection::Write(stratum::SharedLine line) {
  if (closed_) return;
  if (out_.empty()) {
    asio::error_code ec;
    size_t n = socket_.write_some(asio::buffer(*line), ec);
    if (ec && ec != asio::error::would_block) return Close("");
    if (n == line->size()) return;
    out_offset_ = n;
    out_bytes_ = line->size() - n;
    out_.push_back(std::move(line));
    return WaitWrite();
  }
  out_bytes_ += line->size();
  out_.push_back(std::move(line));
  if (out_bytes_ > hub_.options_.max_output_bytes) {
    hub_.Count(&HubStats::dropped_bad_input);
    Close(absl::StrCat("does not read: ", out_bytes_, " bytes queued"));
  }
}

void Connection::WaitWrite() {
  if (write_waiting_) return;
  write_waiting_ = true;
  socket_.async_wait(asio::ip::tcp::socket::wait_write,
                     [self = shared_from_this()](const asio::error_code& ec) {
                       self->write_waiting_ = false;
                       if (self->closed_) return;
                       if (ec) return self->Close("");
                       self->Flush();
                     });
}

void Connection::Flush() {
  while (!out_.empty()) {
    const std::string& front = *out_.front();
    asio::error_code ec;
    size_t n = socket_.write_some(asio::buffer(front.data() + out_offset_,
                                               front.size() - out_offset_), ec);
    if (ec == asio::error::would_block) return WaitWrite();
    if (ec) return Close("");
    out_offset_ += n;
    out_bytes_ -= n;
    if (out_offset_ < front.size()) continue;
    if (out_.front() == fanout_line_) {
      hub_.AddFanout(Ms(absl::Now() - fanout_entered_));
      fanout_line_.reset();
    }
    out_.pop_front();
    out_offset_ = 0;
  }
  if (close_after_flush_) Close("");
}

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
    if (waiting_) CompleteWaitingSubscribe();
    return std::nullopt;
  }
  const shares::JobNotice& n = *job.notice;
  if (std::find(n.displaced.begin(), n.displaced.end(), source_) != n.displaced.end()) {
    Reconnect();  // Its slot no longer exists in the pool's new extranonce2.
    return std::nullopt;
  }
  // The pool's extranonce changed: tell a miner that subscribed to it, reconnect the others.
  if (!HasExtranonceOf(n) && !core_.SendExtranonce(ExtranonceFor(n))) {
    Reconnect();
    return std::nullopt;
  }
  core_.UpdateVersionMask(n.version_mask);
  if (vardiff_) SendDifficultyIfChanged(vardiff_->SetBounds(miner_floor_, n.pool_difficulty));
  core_.SendNotify(job.id, n.clean, job.line);
  if (!n.clean || closed_) return std::nullopt;
  if (out_.empty()) return Ms(absl::Now() - n.entered);  // Written to the socket just now.
  fanout_line_ = job.line;  // Timed when the queued write completes.
  fanout_entered_ = n.entered;
  return std::nullopt;
}

void Connection::SendDifficultyIfChanged(std::optional<double> d) {
  if (d.has_value()) core_.SendDifficulty(*d);
}

void Connection::Report() {
  if (source_ == 0 || !vardiff_) return;
  hub_.host_->UpdateSource(source_, worker_, vardiff_->difficulty(), vardiff_->measured_rate_hps());
}

void Connection::Sweep(absl::Time now) {
  if (closed_) return;
  const HubOptions& o = hub_.options_;
  if ((!core_.subscribed() || worker_.empty()) && now - accepted_ > o.handshake_timeout) {
    hub_.Count(&HubStats::dropped_timeout);
    return Close(absl::StrCat("not subscribed and authorized within ",
                              absl::FormatDuration(o.handshake_timeout)));
  }
  if (now - partial_since_ > o.line_timeout) {
    hub_.Count(&HubStats::dropped_timeout);
    return Close(absl::StrCat("a line unfinished for ", absl::FormatDuration(o.line_timeout),
                              " (", core_.partial_bytes(), " bytes)"));
  }
  if (now - last_line_ > o.idle_timeout) {
    hub_.Count(&HubStats::dropped_timeout);
    return Close(absl::StrCat("silent for ", absl::FormatDuration(o.idle_timeout)));
  }
  if (!vardiff_ || worker_.empty()) return;
  bool due = now - last_report_ >= o.vardiff.retarget_every;
  SendDifficultyIfChanged(vardiff_->Retarget(now));
  if (due) {
    last_report_ = now;
    Report();
  }
}

// ---- the session's questions ----

absl::StatusOr<std::optional<stratum::Extranonce>> Connection::OnSubscribe(
    const stratum::SubscribeParams& p) {
  if (hub_.current_job() == nullptr) {
    waiting_ = p;  // No extranonce before the pool's first job: answered when it comes.
    return std::optional<stratum::Extranonce>();
  }
  absl::StatusOr<stratum::Extranonce> e = Grant(p);
  if (!e.ok()) return e.status();
  return std::optional<stratum::Extranonce>(*e);
}

void Connection::CompleteWaitingSubscribe() {
  if (!waiting_) return;
  stratum::SubscribeParams p = *std::move(waiting_);
  waiting_.reset();
  core_.CompleteSubscribe(Grant(p));
}

absl::StatusOr<stratum::Extranonce> Connection::Grant(const stratum::SubscribeParams& p) {
  const shares::JobNotice& n = *hub_.current_job()->notice;
  shares::SourceHello hello{peer_, core_.user_agent(), 0};
  int prefix = n.partition.prefix_bytes;
  // A session id is the extranonce1 we gave: the pool's, then the slot bytes.
  absl::StatusOr<std::vector<uint8_t>> wanted =
      bitcoin::HexToBytes(p.session_id.value_or(""), "session id");
  if (wanted.ok() && prefix > 0 && wanted->size() == n.extranonce1.size() + prefix &&
      std::equal(n.extranonce1.begin(), n.extranonce1.end(), wanted->begin())) {
    for (int i = 0; i < prefix; ++i) {
      hello.resume_slot = hello.resume_slot << 8 | (*wanted)[n.extranonce1.size() + i];
    }
  }
  absl::StatusOr<shares::SourceGrant> g = hub_.host_->AddSource(hello);
  if (!g.ok()) {
    if (absl::IsResourceExhausted(g.status())) hub_.Count(&HubStats::refused_full);
    LOG_EVERY_T(WARNING, 10) << "stratum port: " << peer_ << " not subscribed: " << g.status();
    return g.status();
  }
  source_ = g->source;
  slot_ = g->slot;
  hub_.BindSource(this, source_);
  double start = hub_.options_.start_difficulty > 0 ? hub_.options_.start_difficulty
                                                    : n.pool_difficulty;
  vardiff_.emplace(hub_.options_.vardiff, start, absl::Now());
  vardiff_->SetBounds(miner_floor_, n.pool_difficulty);
  VLOG(1) << "stratum port: " << peer_ << " (" << core_.user_agent() << ") has slot " << slot_
          << (hello.resume_slot != 0 ? " (resumed)" : "");
  return ExtranonceFor(n);
}

void Connection::OnSubscribed() {
  core_.SendDifficulty(vardiff_->difficulty());
  const HubJob* job = hub_.current_job();
  const shares::JobNotice& n = *job->notice;
  core_.UpdateVersionMask(n.version_mask);
  core_.SendNotify(job->id, /*clean=*/true, job->line);
}

bool Connection::OnAuthorize(const stratum::AuthorizeParams& p) {
  const std::string& password = hub_.options_.password;
  if (!password.empty() && !SameSecret(p.pass, password)) {
    LOG_EVERY_T(WARNING, 10) << "stratum port: " << peer_ << " worker " << p.user
                             << ": wrong password";
    return false;
  }
  if (worker_.empty()) {
    worker_ = p.user.empty() ? peer_ : p.user;
    last_report_ = absl::Now();
    Report();
  }
  return true;
}

uint32_t Connection::ServerVersionMask() const {
  const HubJob* job = hub_.current_job();
  return job == nullptr ? 0 : job->notice->version_mask;
}

void Connection::OnDifficultyRequest(double difficulty, bool minimum) {
  miner_floor_ = difficulty;  // Both a BIP 310 minimum and a suggestion bound vardiff below.
  if (!vardiff_) return;  // Applied when the subscribe is answered.
  double ceiling = hub_.current_job() ? hub_.current_job()->notice->pool_difficulty : 0;
  std::optional<double> d = vardiff_->SetBounds(miner_floor_, ceiling);
  if (!minimum) d = vardiff_->Suggest(difficulty, absl::Now());
  SendDifficultyIfChanged(d);
}

void Connection::OnSubmitRefused(const stratum::SubmitParams*, int code, bool rate_limited) {
  hub_.Count(&HubStats::shares_refused);
  // Shares the ledger must count (found = sum of states): over a limit, or for a job the
  // session no longer has (stale). Malformed or unauthorized submits are not shares. The
  // session answered already; the ledger's verdict for this id finds nothing pending.
  if (source_ != 0 && (rate_limited || code == stratum::kErrJobNotFound)) {
    hub_.host_->CountRefused(source_, next_share_++, rate_limited);
  }
}

void Connection::OnSubmit(stratum::SubmitRequest r) {
  const HubJob* job = hub_.FindJob(r.params.job_id);
  if (job == nullptr || source_ == 0) {
    hub_.Count(&HubStats::shares_refused);
    return core_.AnswerSubmit(r.id, stratum::RpcError{stratum::kErrJobNotFound, "Job not found", ""});
  }
  uint64_t id = next_share_++;
  pending_.emplace(id, r.id);  // Answered by OnVerdict, whatever the outcome.
  shares::SourceShare share{id, job->notice->job_key, std::move(r.params), r.terms.difficulty,
                            r.version_mask};
  shares::SourceOutcome o = hub_.host_->SubmitShare(source_, share);
  if (o.valid && vardiff_) vardiff_->OnShare(r.terms.difficulty);
  if (o.forwarded) {
    hub_.AddSharePath(Ms(absl::Now() - read_at_));
    hub_.Count(&HubStats::shares_forwarded);
  } else if (o.valid) {
    hub_.Count(&HubStats::shares_local);
  }
}

void Connection::OnVerdict(uint64_t share_id, const shares::SourceVerdict& v) {
  auto it = pending_.find(share_id);
  if (it == pending_.end() || closed_) return;
  nlohmann::json id = std::move(it->second);
  pending_.erase(it);
  if (v.accepted) return core_.AnswerSubmit(id, std::nullopt);
  hub_.Count(&HubStats::shares_refused);
  core_.AnswerSubmit(id, stratum::RpcError{v.code, v.reason, ""});
}

}  // namespace synth::hub
