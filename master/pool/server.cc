#include "master/pool/server.h"

#include <chrono>
#include <fstream>
#include <future>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"
#include "master/pool/server_internal.h"
#include "master/pool/sv2_server_internal.h"

namespace synth::pool {

using nlohmann::json;

PoolServer::Impl::Impl(const PoolOptions& options)
    : options_(options), difficulty_(options.difficulty) {
  epoch_ = options.epoch;
  while (epoch_ == 0) epoch_ = std::random_device{}();
}

PoolServer::Impl::~Impl() = default;

absl::Status PoolServer::Impl::Listen() {
  asio::error_code ec;
  asio::ip::address addr = asio::ip::make_address(options_.listen_host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen host ", options_.listen_host));
  asio::ip::tcp::endpoint ep(addr, static_cast<uint16_t>(options_.listen_port));
  acceptor_.open(ep.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen on ", options_.listen_host,
                                                      ":", options_.listen_port, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  return absl::OkStatus();
}

void PoolServer::Impl::Run() {
  MakeJob(true);
  Accept();
  if (sv2_) sv2_->Start();
  ScheduleJob();
  ScheduleStats();
  thread_ = std::thread([this] { io_.run(); });
}

void PoolServer::Impl::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (thread_.joinable()) {
    OnIo([this] {
      asio::error_code ec;
      acceptor_.close(ec);
      job_timer_.cancel();
      stats_timer_.cancel();
      ForEachSession([](Session& s) { s.Close(); });
      if (sv2_) sv2_->Stop();
    });
    io_.stop();
    thread_.join();
  }
  WriteStatsFile();
}

void PoolServer::Impl::OnIo(std::function<void()> fn) {
  if (!thread_.joinable() || std::this_thread::get_id() == thread_.get_id()) return fn();
  std::promise<void> done;
  asio::post(io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void PoolServer::Impl::Accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted) LOG(WARNING) << "synth-pool accept: " << ec.message();
      if (!acceptor_.is_open()) return;
    } else {
      asio::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      auto session = std::make_shared<Session>(*this, std::move(socket));
      sessions_.insert(session.get());
      {
        absl::MutexLock l(&stats_mu_);
        ++stats_.connections;
        stats_.sessions_open = sessions_.size();
      }
      session->Start();
    }
    Accept();
  });
}

void PoolServer::Impl::Forget(Session* s) {
  sessions_.erase(s);
  if (s->core().subscribed()) {
    const std::vector<uint8_t>& en1 = s->core().extranonce().extranonce1;
    resumable_[bitcoin::BytesToHex(en1)] = {en1, s->core().terms(), s->seen_shares_};
  }
  absl::MutexLock l(&stats_mu_);
  stats_.sessions_open = sessions_.size();
}

std::vector<uint8_t> PoolServer::Impl::NextExtranonce1() {
  // Unique per session (odd multiplier: a bijection), different per process (the epoch).
  uint32_t n = (++extranonce_seq_ * 0x9e3779b1u) ^ epoch_;
  std::vector<uint8_t> en1(static_cast<size_t>(options_.tmpl.extranonce1_size));
  for (size_t i = 0; i < en1.size(); ++i) en1[i] = static_cast<uint8_t>(n >> (8 * (i % 4)));
  return en1;
}

void PoolServer::Impl::MakeJob(bool clean) {
  TemplateOptions t = options_.tmpl;
  t.extranonce2_size = options_.extranonce2_size;
  t.height = options_.tmpl.height + static_cast<uint32_t>(job_seq_ / 4);
  t.seed = options_.tmpl.seed * 1000003 + job_seq_;
  uint32_t now = static_cast<uint32_t>(std::time(nullptr));
  stratum::StratumJob job = MakeTemplateJob(
      t, absl::StrCat(absl::Hex(epoch_ & 0xffff), ".", absl::Hex(++job_seq_)), clean, now);
  if (clean) jobs_.clear();
  jobs_.push_back(job);
  while (jobs_.size() > static_cast<size_t>(std::max(1, options_.keep_jobs))) jobs_.pop_front();
  {
    absl::MutexLock l(&stats_mu_);
    ++stats_.jobs;
  }
  stratum::SharedLine line = std::make_shared<const std::string>(
      stratum::EncodeNotification("mining.notify", stratum::ToNotifyParams(job)));
  ForEachSession([&](Session& s) {
    if (s.core().subscribed()) NotifyJob(s, job, line);
  });
  if (sv2_) sv2_->OnJob(job);
}

void PoolServer::Impl::NotifyJob(Session& s, const stratum::StratumJob& job) {
  NotifyJob(s, job, std::make_shared<const std::string>(stratum::EncodeNotification(
                        "mining.notify", stratum::ToNotifyParams(job))));
}

void PoolServer::Impl::NotifyJob(Session& s, const stratum::StratumJob& job,
                                 stratum::SharedLine line) {
  s.core().SendNotify(job.job_id, job.clean_jobs, std::move(line));
}

const stratum::StratumJob* PoolServer::Impl::FindJob(const std::string& job_id) const {
  for (const stratum::StratumJob& j : jobs_) {
    if (j.job_id == job_id) return &j;
  }
  return nullptr;
}

void PoolServer::Impl::ScheduleJob() {
  if (options_.job_interval_s <= 0) return;
  job_timer_.expires_after(std::chrono::milliseconds(
      static_cast<int64_t>(options_.job_interval_s * 1000)));
  job_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    bool clean = options_.clean_every > 0 && (job_seq_ + 1) % options_.clean_every == 0;
    MakeJob(clean);
    ScheduleJob();
  });
}

void PoolServer::Impl::ScheduleStats() {
  if (options_.stats_json.empty()) return;
  stats_timer_.expires_after(std::chrono::milliseconds(
      static_cast<int64_t>(std::max(0.05, options_.stats_interval_s) * 1000)));
  stats_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    WriteStatsFile();
    ScheduleStats();
  });
}

void PoolServer::Impl::WriteStatsFile() {
  if (options_.stats_json.empty()) return;
  std::string tmp = options_.stats_json + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    PoolStats s;
    {
      absl::MutexLock l(&stats_mu_);
      s = stats_;
    }
    out << StatsToJson(s) << "\n";
  }
  std::rename(tmp.c_str(), options_.stats_json.c_str());
}

std::string StatsToJson(const PoolStats& s) {
  json rejected = json::object();
  uint64_t total_rejected = 0;
  for (const auto& [code, n] : s.rejected) {
    rejected[std::to_string(code)] = n;
    total_rejected += n;
  }
  json j = {{"connections", s.connections},     {"sessions_open", s.sessions_open},
            {"jobs", s.jobs},                   {"accepted", s.accepted},
            {"rejected", total_rejected},       {"rejected_by_code", rejected},
            {"accepted_work", s.accepted_work}, {"blocks", s.blocks},
            {"bad_lines", s.bad_lines},         {"shares_checked", s.checked},
            {"check_seconds", s.check_seconds}, {"sv2_connections", s.sv2_connections},
            {"sv2_channels", s.sv2_channels},   {"sv2_bad_input", s.sv2_bad_input},
            {"sv2_nominal_hash_rate", s.sv2_nominal_hash_rate},
            {"extranonce_subscribes", s.extranonce_subscribes},
            {"extranonce_ignored", s.extranonce_ignored}};
  return j.dump();
}

// ---- PoolServer ----

absl::StatusOr<std::unique_ptr<PoolServer>> PoolServer::Start(const PoolOptions& options) {
  if (absl::Status s = stratum::CheckDifficulty(options.difficulty, "synth-pool"); !s.ok()) return s;
  if (options.extranonce2_size < 1 || options.extranonce2_size > 8) {
    return absl::InvalidArgumentError("synth-pool: extranonce2 size must be 1..8");
  }
  auto impl = std::make_unique<Impl>(options);
  if (absl::Status s = impl->Listen(); !s.ok()) return s;
  if (options.sv2.listen_port >= 0) {
    absl::StatusOr<std::unique_ptr<Sv2Server>> sv2 = Sv2Server::Create(*impl, options.sv2);
    if (!sv2.ok()) return sv2.status();
    impl->sv2_ = std::move(*sv2);
  }
  impl->Run();
  LOG(INFO) << "synth-pool listening on " << options.listen_host << ":" << impl->port_
            << " difficulty " << options.difficulty << " job interval " << options.job_interval_s
            << " s, version mask " << bitcoin::U32ToHexBigEndian(options.version_mask);
  return std::unique_ptr<PoolServer>(new PoolServer(std::move(impl)));
}

PoolServer::PoolServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PoolServer::~PoolServer() { Stop(); }
int PoolServer::port() const { return impl_->port_; }
int PoolServer::sv2_port() const { return impl_->sv2_ ? impl_->sv2_->port() : 0; }
std::string PoolServer::sv2_url() const { return impl_->sv2_ ? impl_->sv2_->Url() : ""; }
void PoolServer::Stop() { impl_->Shutdown(); }

PoolStats PoolServer::Stats() const {
  absl::MutexLock l(&impl_->stats_mu_);
  return impl_->stats_;
}

std::string PoolServer::StatsJson() const { return StatsToJson(Stats()); }

void PoolServer::NewJob(bool clean) {
  impl_->OnIo([&] { impl_->MakeJob(clean); });
}

void PoolServer::SetDifficulty(double difficulty) {
  impl_->OnIo([&] {
    impl_->difficulty_ = difficulty;
    impl_->ForEachSession([&](Session& s) {
      s.difficulty_ = std::max(difficulty, s.min_difficulty_);
      s.core().SendDifficulty(s.difficulty_);
    });
    if (impl_->sv2_) impl_->sv2_->SetDifficulty(difficulty);
  });
}

void PoolServer::SetRejectAll(int code) {
  impl_->OnIo([&] { impl_->reject_all_code_ = code; });
}

void PoolServer::DropAll() {
  impl_->OnIo([&] {
    impl_->ForEachSession([](Session& s) { s.Close(); });
    if (impl_->sv2_) impl_->sv2_->DropAll();
  });
}

void PoolServer::SendRaw(const std::string& line) {
  impl_->OnIo([&] { impl_->ForEachSession([&](Session& s) { s.Send(line); }); });
}

void PoolServer::SendGarbage() { SendRaw("this is not json {]\n"); }
void PoolServer::SendOversize() { SendRaw(std::string(70 * 1024, 'x') + "\n"); }

void PoolServer::SetStall(bool stall) {
  impl_->OnIo([&] { impl_->stall_ = stall; });
}

void PoolServer::ChangeExtranonce() {
  impl_->OnIo([&] {
    impl_->ForEachSession([&](Session& s) {
      if (!s.core().subscribed()) return;
      s.core().SendExtranonce({impl_->NextExtranonce1(), impl_->options_.extranonce2_size});
    });
    if (impl_->sv2_) impl_->sv2_->ChangeExtranonce();
  });
}

void PoolServer::SendReconnect(const std::string& host, int port, int wait_s) {
  SendRaw(stratum::EncodeNotification("client.reconnect",
                                      stratum::MakeReconnectParams({host, port, wait_s})));
  impl_->OnIo([&] {
    if (impl_->sv2_) impl_->sv2_->SendReconnect(host, port);
  });
}

void PoolServer::ShowMessage(const std::string& text) {
  SendRaw(stratum::EncodeNotification("client.show_message", json::array({text})));
}

void PoolServer::SendGetVersion() {
  impl_->OnIo([&] {
    impl_->ForEachSession([&](Session& s) {
      s.core().SendRequest("client.get_version", json::array());
    });
  });
}

}  // namespace synth::pool
