// synth-pool's SV2 listener: keys, certificates, the accept loop and the job feed.
#include <algorithm>
#include <ctime>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/sv2/authority_key.h"
#include "master/pool/authority_key_file.h"
#include "master/pool/sv2_server_internal.h"

namespace synth::pool {
namespace {

uint32_t ClampUnix(int64_t t) {
  return static_cast<uint32_t>(std::clamp<int64_t>(t, 0, std::numeric_limits<uint32_t>::max()));
}

}  // namespace

Sv2Server::Sv2Server(PoolServer::Impl& pool, const Sv2Options& options)
    : pool_(pool), options_(options), acceptor_(pool.io_) {}

absl::StatusOr<std::unique_ptr<Sv2Server>> Sv2Server::Create(PoolServer::Impl& pool,
                                                             const Sv2Options& options) {
  std::unique_ptr<Sv2Server> s(new Sv2Server(pool, options));
  std::string key_origin = "a key for this process only";
  if (options.authority_key_file.empty()) {
    absl::StatusOr<sv2::SecretKey> k = sv2::GenerateSecretKey(sv2::SystemRandom());
    if (!k.ok()) return k.status();
    s->authority_ = *k;
  } else {
    bool created = false;
    absl::StatusOr<sv2::SecretKey> k =
        LoadOrCreateAuthorityKey(options.authority_key_file, &created);
    if (!k.ok()) return k.status();
    s->authority_ = *k;
    key_origin = absl::StrCat(created ? "created " : "from ", options.authority_key_file);
  }
  absl::StatusOr<sv2::SecretKey> static_key = sv2::GenerateSecretKey(sv2::SystemRandom());
  if (!static_key.ok()) return static_key.status();
  s->static_key_ = *static_key;
  absl::StatusOr<sv2::XOnly> a = sv2::XOnlyPublicKey(s->authority_);
  absl::StatusOr<sv2::XOnly> st = sv2::XOnlyPublicKey(s->static_key_);
  if (!a.ok() || !st.ok()) return absl::InternalError("SV2: cannot derive public keys");
  s->authority_public_ = *a;
  s->static_public_ = *st;

  asio::error_code ec;
  asio::ip::address addr = asio::ip::make_address(options.listen_host, ec);
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("bad SV2 listen host ", options.listen_host));
  asio::ip::tcp::endpoint ep(addr, static_cast<uint16_t>(options.listen_port));
  s->acceptor_.open(ep.protocol(), ec);
  if (!ec) s->acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s->acceptor_.bind(ep, ec);
  if (!ec) s->acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::FailedPreconditionError(absl::StrCat("cannot listen for SV2 on ",
                                                      options.listen_host, ":", options.listen_port,
                                                      ": ", ec.message()));
  }
  s->port_ = s->acceptor_.local_endpoint().port();
  LOG(INFO) << "synth-pool SV2 listening on " << s->Url() << " (authority key " << key_origin
            << ")";
  return s;
}

std::string Sv2Server::Url() const {
  return absl::StrCat("stratum2+tcp://", options_.listen_host, ":", port_, "/",
                      sv2::FormatAuthorityKey(authority_public_));
}

void Sv2Server::Start() { Accept(); }

void Sv2Server::Stop() {
  asio::error_code ec;
  acceptor_.close(ec);
  DropAll();
}

void Sv2Server::Accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted)
        LOG(WARNING) << "synth-pool SV2 accept: " << ec.message();
      if (!acceptor_.is_open()) return;
      return Accept();
    }
    absl::StatusOr<sv2::ResponderCredentials> creds = Credentials();
    if (!creds.ok()) {
      LOG(ERROR) << "synth-pool SV2: no certificate: " << creds.status();
      return Accept();
    }
    asio::error_code ignored;
    socket.set_option(asio::ip::tcp::no_delay(true), ignored);
    auto c = std::make_shared<Sv2Connection>(*this, std::move(socket), std::move(*creds));
    connections_.insert(c.get());
    {
      absl::MutexLock l(&pool_.stats_mu_);
      ++pool_.stats_.sv2_connections;
    }
    c->Start();
    Accept();
  });
}

absl::StatusOr<sv2::ResponderCredentials> Sv2Server::Credentials() const {
  int64_t now = std::time(nullptr);
  absl::StatusOr<sv2::Certificate> cert =
      sv2::SignCertificate(authority_, static_public_, ClampUnix(now + options_.cert_valid_from_s),
                           ClampUnix(now + options_.cert_valid_until_s), sv2::SystemRandom());
  if (!cert.ok()) return cert.status();
  return sv2::ResponderCredentials{static_key_, *cert};
}

void Sv2Server::OnJob(const stratum::StratumJob& job) {
  Sv2Job s;
  s.id = ++next_job_id_;
  s.pool_job_id = job.job_id;
  s.job = job;
  s.new_prev_hash = job.clean_jobs || jobs_.empty();
  if (s.new_prev_hash) {
    jobs_.clear();
  } else {
    // SV2 jobs without a new prev hash build on the current one.
    s.job.prev_hash = jobs_.back().job.prev_hash;
    s.job.nbits = jobs_.back().job.nbits;
  }
  jobs_.push_back(s);
  while (jobs_.size() > static_cast<size_t>(std::max(1, pool_.options_.keep_jobs))) {
    jobs_.pop_front();
  }
  ForEach([&](Sv2Connection& c) { c.SendJob(s); });
}

const Sv2Job* Sv2Server::FindJob(uint32_t id) const {
  for (const Sv2Job& j : jobs_) {
    if (j.id == id) return pool_.FindJob(j.pool_job_id) != nullptr ? &j : nullptr;
  }
  return nullptr;
}

void Sv2Server::SetDifficulty(double difficulty) {
  ForEach([&](Sv2Connection& c) { c.SetPoolDifficulty(difficulty); });
}

void Sv2Server::DropAll() {
  ForEach([](Sv2Connection& c) { c.Close(); });
}

void Sv2Server::ChangeExtranonce() {
  ForEach([](Sv2Connection& c) { c.ChangeExtranonce(); });
}

void Sv2Server::SendReconnect(const std::string& host, int port) {
  sv2::Reconnect m{host, static_cast<uint16_t>(port)};
  ForEach([&](Sv2Connection& c) { c.SendMessage(m); });
}

}  // namespace synth::pool
