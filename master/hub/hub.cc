// The downstream port's io thread: listening, the allow-list and connection cap, job fan-out,
// the sweep (timeouts, vardiff) and the counters. One connection: connection.cc.
#include "master/hub/hub.h"

#include <algorithm>
#include <future>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/bitcoin/hex.h"
#include "common/logging.h"
#include "master/hub/hub_internal.h"

namespace synth::hub {
namespace {

constexpr size_t kKeepJobs = 32;  // Jobs whose ids stay valid (the session keeps as many terms).

absl::StatusOr<asio::ip::tcp::endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--stratum-listen '", listen,
                                                   "' is not HOST:PORT"));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  asio::error_code ec;
  asio::ip::address addr = asio::ip::make_address(host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--stratum-listen: bad host '", host, "'"));
  return asio::ip::tcp::endpoint(addr, static_cast<uint16_t>(port));
}

}  // namespace

void Samples::Add(double v) {
  v_.push_back(v);
  while (v_.size() > keep_) v_.pop_front();
}

double Samples::Quantile(double p) const {
  if (v_.empty()) return 0;
  std::vector<double> s(v_.begin(), v_.end());
  size_t i = std::min(s.size() - 1, static_cast<size_t>(p * s.size()));
  std::nth_element(s.begin(), s.begin() + i, s.end());
  return s[i];
}

double Samples::Max() const { return v_.empty() ? 0 : *std::max_element(v_.begin(), v_.end()); }

StratumHub::Impl::Impl(const HubOptions& options, shares::SourceHost* host)
    : options_(options), host_(host) {}

absl::Status StratumHub::Impl::Listen() {
  absl::StatusOr<asio::ip::tcp::endpoint> ep = ParseListen(options_.listen);
  if (!ep.ok()) return ep.status();
  asio::error_code ec;
  acceptor_.open(ep->protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(*ep, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot listen on ", options_.listen, ": ", ec.message()));
  }
  absl::MutexLock l(&stats_mu_);
  stats_.listen = absl::StrCat(ep->address().to_string(), ":", acceptor_.local_endpoint().port());
  return absl::OkStatus();
}

void StratumHub::Impl::Run() {
  last_status_ = absl::Now();
  Accept();
  ScheduleSweep();
  thread_ = std::thread([this] { io_.run(); });
}

void StratumHub::Impl::Shutdown() {
  if (stopped_) return;
  stopped_ = true;
  if (!thread_.joinable()) return;
  std::promise<void> done;
  asio::post(io_, [&] {
    asio::error_code ec;
    acceptor_.close(ec);
    sweep_timer_.cancel();
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [p, c] : connections_) all.push_back(c);
    for (auto& c : all) c->Reconnect();
    LOG(INFO) << "stratum port: sent client.reconnect to " << all.size() << " miners";
    done.set_value();
  });
  done.get_future().wait();
  // What is written by now reaches the miners; nothing else is waited for.
  asio::post(io_, [&] {
    std::vector<std::shared_ptr<Connection>> all;
    for (auto& [p, c] : connections_) all.push_back(c);
    for (auto& c : all) c->Close("");
    io_.stop();
  });
  thread_.join();
}

void StratumHub::Impl::Accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (!acceptor_.is_open()) return;
      // Out of descriptors (EMFILE) and the like: try again shortly rather than spin.
      LOG_EVERY_T(WARNING, 10) << "stratum port: accept failed: " << ec.message();
      auto retry = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
      retry->async_wait([this, retry](const asio::error_code& e) {
        if (!e) Accept();
      });
      return;
    }
    asio::error_code e;
    asio::ip::tcp::endpoint peer = socket.remote_endpoint(e);
    std::string who = e ? "?" : absl::StrCat(peer.address().to_string(), ":", peer.port());
    if (e || !options_.allow.Allows(peer.address())) {
      Count(&HubStats::refused_allow);
      LOG_EVERY_T(WARNING, 10) << "stratum port: refused " << who << ": not in --stratum-allow "
                               << options_.allow.ToString();
    } else if (connections_.size() >= options_.max_connections) {
      Count(&HubStats::refused_full);
      LOG_EVERY_T(WARNING, 10) << "stratum port: refused " << who << ": "
                               << options_.max_connections
                               << " connections open (--stratum-max-connections)";
    } else {
      socket.set_option(asio::ip::tcp::no_delay(true), e);
      socket.non_blocking(true, e);
      auto c = std::make_shared<Connection>(*this, std::move(socket), who);
      connections_.emplace(c.get(), c);
      Count(&HubStats::connections_total);
      c->Start();
    }
    socket.close(e);  // No-op for a socket moved into a Connection.
    Accept();
  });
}

void StratumHub::Impl::Forget(Connection* c) {
  if (c->source() != 0) by_source_.erase(c->source());
  connections_.erase(c);
}

void StratumHub::Impl::BindSource(Connection* c, uint64_t source) { by_source_[source] = c; }

const HubJob* StratumHub::Impl::FindJob(const std::string& id, size_t pool) const {
  auto find = [&](const std::deque<HubJob>& jobs) -> const HubJob* {
    for (auto it = jobs.rbegin(); it != jobs.rend(); ++it) {
      if (it->id == id) return &*it;
    }
    return nullptr;
  };
  // A miner submits for its own pool's jobs, but for a moment after a move for the old one's.
  if (pool < jobs_.size()) {
    if (const HubJob* job = find(jobs_[pool])) return job;
  }
  for (size_t p = 0; p < jobs_.size(); ++p) {
    if (p == pool) continue;
    if (const HubJob* job = find(jobs_[p])) return job;
  }
  return nullptr;
}

const HubJob* StratumHub::Impl::any_job() const {
  for (const std::deque<HubJob>& jobs : jobs_) {
    if (!jobs.empty()) return &jobs.back();
  }
  return nullptr;
}

uint64_t StratumHub::Impl::ResumeSlotOf(const std::string& session_id) const {
  absl::StatusOr<std::vector<uint8_t>> wanted = bitcoin::HexToBytes(session_id, "session id");
  if (!wanted.ok()) return 0;
  for (const std::deque<HubJob>& jobs : jobs_) {
    if (jobs.empty()) continue;
    const shares::JobNotice& n = *jobs.back().notice;
    size_t prefix = static_cast<size_t>(n.partition.prefix_bytes);
    if (prefix == 0 || wanted->size() != n.extranonce1.size() + prefix ||
        !std::equal(n.extranonce1.begin(), n.extranonce1.end(), wanted->begin())) {
      continue;
    }
    uint64_t slot = 0;
    for (size_t i = 0; i < prefix; ++i) slot = slot << 8 | (*wanted)[n.extranonce1.size() + i];
    return slot;
  }
  return 0;
}

void StratumHub::Impl::PublishJob(std::shared_ptr<const shares::JobNotice> notice) {
  stratum::StratumJob job = *notice->job;
  job.job_id = absl::StrCat(absl::Hex(++job_seq_));
  job.clean_jobs = notice->clean;
  auto line = std::make_shared<const std::string>(
      stratum::EncodeNotification("mining.notify", stratum::ToNotifyParams(job)));
  stratum::SharedLine clean_line = line;
  if (!notice->clean) {
    job.clean_jobs = true;
    clean_line = std::make_shared<const std::string>(
        stratum::EncodeNotification("mining.notify", stratum::ToNotifyParams(job)));
  }
  if (jobs_.size() <= notice->pool) jobs_.resize(notice->pool + 1);
  std::deque<HubJob>& jobs = jobs_[notice->pool];
  if (notice->clean) jobs.clear();
  jobs.push_back(HubJob{job.job_id, notice, std::move(line), std::move(clean_line)});
  while (jobs.size() > kKeepJobs) jobs.pop_front();
  if (notice->clean) {
    absl::MutexLock l(&stats_mu_);
    fanout_.Clear();
  }
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(connections_.size());
  for (auto& [p, c] : connections_) all.push_back(c);
  std::vector<double> fanout;  // Recorded under one lock after the loop.
  fanout.reserve(all.size());
  for (auto& c : all) {
    if (c->closed()) continue;
    if (std::optional<double> ms = c->Notify(jobs.back())) fanout.push_back(*ms);
  }
  AddFanouts(fanout);
}

void StratumHub::Impl::DeliverVerdict(uint64_t source, uint64_t share_id,
                                      const shares::SourceVerdict& v) {
  auto it = by_source_.find(source);
  if (it != by_source_.end()) it->second->OnVerdict(share_id, v);
}

void StratumHub::Impl::MoveSource(uint64_t source, size_t pool) {
  auto it = by_source_.find(source);
  if (it != by_source_.end()) it->second->MoveTo(pool);
}

void StratumHub::Impl::ScheduleSweep() {
  sweep_timer_.expires_after(absl::ToChronoNanoseconds(options_.sweep_every));
  sweep_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;
    Sweep();
    ScheduleSweep();
  });
}

void StratumHub::Impl::Sweep() {
  absl::Time now = absl::Now();
  std::vector<std::shared_ptr<Connection>> all;
  all.reserve(connections_.size());
  for (auto& [p, c] : connections_) all.push_back(c);
  for (auto& c : all) c->Sweep(now);
  {
    absl::MutexLock l(&stats_mu_);
    stats_.connections = connections_.size();
  }
  if (options_.status_every > absl::ZeroDuration() && now - last_status_ >= options_.status_every) {
    last_status_ = now;
    LogStatus();
  }
}

void StratumHub::Impl::LogStatus() {
  HubStats s = Stats();
  LOG(INFO) << absl::StrFormat(
      "stratum port %s: %d miners | shares forwarded %d local %d refused %d | share path p50 "
      "%.2f ms p99 %.2f ms | clean fan-out p99 %.2f ms over %d",
      s.listen, s.connections, s.shares_forwarded, s.shares_local, s.shares_refused,
      s.share_path_p50_ms, s.share_path_p99_ms, s.fanout_p99_ms, s.fanout_connections);
}

void StratumHub::Impl::Count(uint64_t HubStats::*field, uint64_t n) {
  absl::MutexLock l(&stats_mu_);
  stats_.*field += n;
}

void StratumHub::Impl::AddSharePath(double ms) {
  absl::MutexLock l(&stats_mu_);
  share_path_.Add(ms);
}

void StratumHub::Impl::AddFanout(double ms) {
  absl::MutexLock l(&stats_mu_);
  fanout_.Add(ms);
}

void StratumHub::Impl::AddFanouts(const std::vector<double>& ms) {
  absl::MutexLock l(&stats_mu_);
  for (double m : ms) fanout_.Add(m);
}

HubStats StratumHub::Impl::Stats() const {
  absl::MutexLock l(&stats_mu_);
  HubStats s = stats_;
  s.share_path_p50_ms = share_path_.Quantile(0.5);
  s.share_path_p99_ms = share_path_.Quantile(0.99);
  s.share_path_samples = share_path_.size();
  s.fanout_p50_ms = fanout_.Quantile(0.5);
  s.fanout_p99_ms = fanout_.Quantile(0.99);
  s.fanout_max_ms = fanout_.Max();
  s.fanout_connections = fanout_.size();
  return s;
}

// ---- StratumHub ----

absl::StatusOr<std::unique_ptr<StratumHub>> StratumHub::Start(const HubOptions& options,
                                                              shares::SourceHost* host) {
  if (options.max_connections == 0 || !(options.vardiff.target_per_min > 0) ||
      !(options.vardiff.floor > 0) || options.max_line < 256 || options.start_difficulty < 0) {
    return absl::InvalidArgumentError(
        "stratum port: max connections, share rate, lowest difficulty and line cap must be > 0");
  }
  auto impl = std::make_unique<Impl>(options, host);
  if (absl::Status s = impl->Listen(); !s.ok()) return s;
  impl->Run();
  std::unique_ptr<StratumHub> hub(new StratumHub(std::move(impl)));
  host->SetSourcePort(hub.get());
  LOG(INFO) << "stratum port listening on " << hub->Stats().listen << ", allow "
            << options.allow.ToString() << ", password "
            << (options.password.empty() ? "none" : "required") << ", at most "
            << options.max_connections << " miners, " << options.vardiff.target_per_min
            << " shares/min each";
  return hub;
}

StratumHub::StratumHub(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StratumHub::~StratumHub() { Shutdown(); }

int StratumHub::port() const {
  HubStats s = impl_->Stats();
  return std::stoi(s.listen.substr(s.listen.rfind(':') + 1));
}

HubStats StratumHub::Stats() const { return impl_->Stats(); }

void StratumHub::Shutdown() {
  if (detached_) return;
  detached_ = true;
  impl_->host_->SetSourcePort(nullptr);  // No job or verdict is posted after this returns.
  impl_->Shutdown();
}

void StratumHub::OnJob(std::shared_ptr<const shares::JobNotice> notice) {
  asio::post(impl_->io_, [this, notice = std::move(notice)]() mutable {
    impl_->PublishJob(std::move(notice));
  });
}

void StratumHub::OnMove(uint64_t source, size_t pool) {
  asio::post(impl_->io_, [this, source, pool] { impl_->MoveSource(source, pool); });
}

void StratumHub::OnVerdict(uint64_t source, uint64_t share_id, const shares::SourceVerdict& v) {
  asio::post(impl_->io_, [this, source, share_id, v] {
    impl_->DeliverVerdict(source, share_id, v);
  });
}

}  // namespace synth::hub
