// Client: operator pool switches (synthctl pool switch), on top of the failover machinery.
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "master/stratum/client.h"
#include "master/stratum/client_internal.h"

namespace synth::stratum {

absl::Status Client::Impl::SwitchPool(int index) {
  absl::MutexLock l(&mu_);
  int n = static_cast<int>(status_.pools.size());
  if (index < 0 || index >= n) {
    return absl::OutOfRangeError(
        absl::StrCat("no pool ", index, ": the master has ", n, " (indexes 0..", n - 1, ")"));
  }
  ++status_.switches;
  status_.preferred = index;
  // Posted under mu_ so that switches and additions reach the io thread in index order.
  asio::post(io_, [this, index] { SwitchOnIo(index); });
  return absl::OkStatus();
}

absl::StatusOr<int> Client::Impl::AddAndSwitchPool(PoolEndpoint pool) {
  // Checked before parsing so that no error message repeats a secret.
  if (pool.url.find('@') != std::string::npos) {
    return absl::InvalidArgumentError(
        "pool URL must not carry user info (the master signs in with its --user/--pass)");
  }
  absl::StatusOr<PoolUrl> url = ParsePoolUrl(pool.url);
  if (!url.ok()) return url.status();
  std::string canonical = url->ToString();
  int index = -1;
  {
    absl::MutexLock l(&mu_);
    for (size_t i = 0; i < status_.pools.size(); ++i) {
      if (status_.pools[i].url == canonical) index = static_cast<int>(i);
    }
    if (index < 0) {
      status_.pools.push_back(PoolStats{.url = canonical, .added = true});
      index = static_cast<int>(status_.pools.size()) - 1;
      LOG(INFO) << "stratum: pool " << index << " added: " << canonical;
      asio::post(io_, [this, pool = std::move(pool), url = *url] {
        pools_.push_back(pool);
        urls_.push_back(url);
        failures_.push_back(0);
        resume_.emplace_back();
      });
    }
  }
  absl::Status s = SwitchPool(index);
  if (!s.ok()) return s;
  return index;
}

void Client::Impl::SwitchOnIo(int pool) {
  if (stopped_) return;
  preferred_ = pool;
  next_probe_ = absl::InfiniteFuture();
  if (probe_) {
    Bury(std::move(probe_));
    Update([](ClientStatus& s) { s.probing = -1; });
  }
  if (active_ && active_->pool == pool && !redirect_) {
    LOG(INFO) << "stratum: already on " << urls_[pool].ToString() << "; it is now preferred";
    return;
  }
  LOG(INFO) << "stratum: switching to " << urls_[pool].ToString() << " (operator request)";
  redirect_.reset();
  failures_[pool] = 0;
  current_ = pool;
  if (active_) {
    Conn* c = active_.get();
    bool was_ready = c->session->ready();
    if (c->session->extranonce1().size() > 0 && !c->session->session_id().empty()) {
      resume_[c->pool] =
          Resume{c->session->session_id(), c->session->extranonce1(), c->session->jobs()};
    }
    if (was_ready) {
      Update([&](ClientStatus& s) {
        s.connected = false;
        ++s.disconnects;
        ++s.pools[c->pool].disconnects;
      });
      if (callbacks_.on_connection) callbacks_.on_connection(false, c->url.ToString());
    }
    Retire(std::move(active_));  // Its pending submits are still answered.
  }
  // A reconnect that was waiting for its backoff is replaced by this one.
  connect_timer_.cancel();
  connect_pending_ = false;
  Connect(pool, /*probe=*/false);
  active_->force_clean = true;
}

}  // namespace synth::stratum
