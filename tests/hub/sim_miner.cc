#include "tests/hub/sim_miner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/bitcoin/hex.h"
#include "common/bitcoin/uint256.h"

namespace synth::hubtest {

using nlohmann::json;
using stratum::Message;

namespace {
constexpr uint64_t kNonces = uint64_t{1} << 32;
constexpr uint32_t kRollingMask = 0x1fffe000;  // BIP 320's general-purpose bits.
}  // namespace

SimMiner::SimMiner(asio::io_context& io, const SimOptions& options, SimStats* stats, int index)
    : io_(io),
      options_(options),
      stats_(stats),
      user_(index < 0 ? options.user : absl::StrCat(options.user, "-", index)),
      retry_(io) {}

void SimMiner::Start() { Connect(); }

void SimMiner::Connect() {
  socket_ = std::make_unique<asio::ip::tcp::socket>(io_);
  asio::ip::tcp::endpoint ep(asio::ip::make_address(options_.host),
                             static_cast<uint16_t>(options_.port));
  socket_->async_connect(ep, [self = shared_from_this()](const asio::error_code& ec) {
    if (ec) {
      self->retry_.expires_after(absl::ToChronoNanoseconds(self->options_.reconnect_delay));
      self->retry_.async_wait([self](const asio::error_code& e) {
        if (!e) self->Connect();
      });
      return;
    }
    self->OnConnected();
  });
}

void SimMiner::OnConnected() {
  open_ = true;
  framer_ = stratum::LineFramer();
  requests_.clear();
  out_.clear();
  writing_ = false;
  authorized_ = false;
  job_.reset();
  mask_ = 0;
  {
    absl::MutexLock l(&stats_->mu);
    ++stats_->connects;
  }
  if (options_.version_rolling) {
    Request("mining.configure",
            stratum::MakeConfigureParams({true, kRollingMask, 2, std::nullopt, false}));
  }
  stratum::SubscribeParams sub{"synth-stratum-miner/1", std::nullopt};
  if (options_.resume && !session_id_.empty()) sub.session_id = session_id_;
  Request("mining.subscribe", stratum::MakeSubscribeParams(sub));
  Request("mining.authorize", stratum::MakeAuthorizeParams({user_, options_.pass}));
  Read();
}

void SimMiner::Read() {
  socket_->async_read_some(asio::buffer(buf_), [self = shared_from_this(), s = socket_.get()](
                                                   const asio::error_code& ec, size_t n) {
    if (s != self->socket_.get() || !self->open_) return;  // An old connection's read.
    if (ec) return self->Closed();
    std::vector<std::string> lines;
    if (!self->framer_.Feed(absl::string_view(self->buf_.data(), n), &lines).ok()) {
      return self->Closed();
    }
    for (const std::string& line : lines) {
      absl::StatusOr<Message> m = stratum::ParseLine(line);
      if (!m.ok()) return self->Closed();
      self->Handle(*m);
      if (!self->open_) return;
    }
    self->Read();
  });
}

void SimMiner::Send(const std::string& line) {
  if (!open_) return;
  out_.push_back(line);
  if (!writing_) Write();
}

void SimMiner::Write() {
  writing_ = true;
  asio::async_write(*socket_, asio::buffer(out_.front()),
                    [self = shared_from_this(), s = socket_.get()](const asio::error_code& ec,
                                                                     size_t) {
                      if (s != self->socket_.get()) return;
                      self->writing_ = false;
                      if (ec) return self->Closed();
                      self->out_.pop_front();
                      if (!self->out_.empty()) self->Write();
                    });
}

void SimMiner::Request(const std::string& method, const json& params) {
  int64_t id = next_id_++;
  requests_[id] = {method, absl::Now()};
  Send(stratum::EncodeRequest(id, method, params));
}

void SimMiner::Handle(const Message& m) {
  if (m.kind == Message::Kind::kResponse) return HandleResponse(m);
  HandleNotification(m);
}

void SimMiner::HandleResponse(const Message& m) {
  auto it = m.IntId() ? requests_.find(*m.IntId()) : requests_.end();
  if (it == requests_.end()) return;
  auto [method, sent] = it->second;
  requests_.erase(it);
  absl::MutexLock l(&stats_->mu);
  if (method == "mining.submit") {
    stats_->rtt_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
    if (stats_->rtt_ms.size() > 20000) stats_->rtt_ms.pop_front();
    if (m.result == true) {
      ++stats_->accepted;
    } else {
      ++stats_->rejected[m.error ? m.error->code : 20];
    }
  } else if (method == "mining.configure") {
    absl::StatusOr<stratum::ConfigureResult> r = stratum::ParseConfigureResult(m.result);
    if (r.ok() && r->version_rolling) mask_ = r->version_mask;
    stats_->version_mask = mask_;
  } else if (method == "mining.subscribe") {
    absl::StatusOr<stratum::SubscribeResult> r = stratum::ParseSubscribeResult(m.result);
    if (!r.ok()) return;  // Not subscribed (no slot, no work yet): the server drops us.
    extranonce_ = next_extranonce_ = {r->extranonce1, r->extranonce2_size};
    std::string sid = bitcoin::BytesToHex(r->extranonce1);
    if (!session_id_.empty() && sid == session_id_) ++stats_->resumed;
    session_id_ = sid;
    ++stats_->subscribed;
  } else if (method == "mining.authorize") {
    authorized_ = m.result == true;
    if (!authorized_) return;
    if (options_.extranonce_subscribe) Request("mining.extranonce.subscribe", json::array());
    if (options_.suggest_difficulty > 0) {
      Request("mining.suggest_difficulty", json::array({options_.suggest_difficulty}));
    }
  }
}

void SimMiner::HandleNotification(const Message& m) {
  if (m.method == "mining.set_difficulty") {
    absl::StatusOr<double> d = stratum::ParseDifficultyParams(m.params, m.method);
    if (d.ok()) next_difficulty_ = *d;  // From the next job on.
  } else if (m.method == "mining.set_extranonce") {
    absl::StatusOr<stratum::Extranonce> e = stratum::ParseSetExtranonceParams(m.params);
    if (e.ok()) next_extranonce_ = *e;
  } else if (m.method == "mining.set_version_mask") {
    absl::StatusOr<uint32_t> mask = stratum::ParseSetVersionMaskParams(m.params);
    if (mask.ok()) mask_ = *mask;  // At once.
    next_nonce_ = kNonces;
  } else if (m.method == "client.reconnect") {
    {
      absl::MutexLock l(&stats_->mu);
      ++stats_->reconnects_asked;
    }
    Closed();
  } else if (m.method == "mining.notify") {
    absl::StatusOr<stratum::StratumJob> job = stratum::ParseNotifyParams(m.params);
    if (!job.ok()) return;
    absl::Time now = absl::Now();
    absl::MutexLock l(&stats_->mu);
    ++stats_->notifies;
    if (next_extranonce_.extranonce1 != extranonce_.extranonce1 ||
        next_extranonce_.extranonce2_size != extranonce_.extranonce2_size) {
      extranonce_ = next_extranonce_;
      ++stats_->extranonce_changes;
    }
    if (job->clean_jobs) {
      auto [it, fresh] = stats_->clean_arrivals.try_emplace(job->job_id, now, now);
      if (!fresh) it->second.second = std::max(it->second.second, now);
    }
    difficulty_ = next_difficulty_;
    stats_->difficulty = difficulty_;
    job_ = *std::move(job);
    next_nonce_ = kNonces;  // Switch at once, clean or not.
  }
}

void SimMiner::Closed() {
  if (!open_) return;
  open_ = false;
  asio::error_code ec;
  socket_->close(ec);
  retry_.expires_after(absl::ToChronoNanoseconds(options_.reconnect_delay));
  retry_.async_wait([self = shared_from_this()](const asio::error_code& e) {
    if (!e) self->Connect();
  });
}

void SimMiner::Drop() { Closed(); }

void SimMiner::NextWork() {
  ++en2_counter_;
  en2_.assign(static_cast<size_t>(std::max(extranonce_.extranonce2_size, 1)), 0);
  for (size_t i = 0; i < en2_.size() && i < 8; ++i) en2_[i] = uint8_t(en2_counter_ >> (8 * i));
  version_ = (job_->version & ~mask_) | ((static_cast<uint32_t>(en2_counter_) << 13) & mask_);
  absl::StatusOr<bitcoin::Uint256> target = bitcoin::TargetFromDifficulty(difficulty_);
  work_ = stratum::BuildScanWork(*job_, extranonce_.extranonce1, en2_, version_, job_->ntime,
                                 target.ok() ? target->words() : hash::Target256{});
  next_nonce_ = 0;
}

uint64_t SimMiner::Hash(uint64_t budget) {
  if (!open_ || !ready() || budget == 0) return 0;
  if (next_nonce_ >= kNonces) NextWork();
  uint64_t count = std::min(budget, kNonces - next_nonce_);
  std::vector<uint32_t> found;
  options_.core->Scan(work_, static_cast<uint32_t>(next_nonce_), count, &found);
  next_nonce_ += count;
  for (uint32_t nonce : found) {
    stratum::SubmitParams p{user_, job_->job_id, en2_, job_->ntime, nonce, std::nullopt};
    if (mask_ != 0) p.version_bits = version_ & mask_;
    Request("mining.submit", stratum::MakeSubmitParams(p));
    absl::MutexLock l(&stats_->mu);
    ++stats_->submitted;
    if (p.version_bits) ++stats_->submitted_rolled;
  }
  absl::MutexLock l(&stats_->mu);
  stats_->hashes += count;
  return count;
}

}  // namespace synth::hubtest
