// One downstream miner of the master's Stratum port: non-blocking socket I/O (reads into the
// port's shared buffer; writes straight to the socket, queued only while it is full), the
// session core, and the port's answers to it (password, timeouts, shares). Its pool, jobs and
// difficulty: connection_work.cc.
#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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

// ---- timeouts and vardiff ----

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
  const HubJob* job = hub_.FindJob(r.params.job_id, pool_);
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
