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
        policy_.AddPool();
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
  if (probe_) {
    Bury(std::move(probe_));
    Update([](ClientStatus& s) { s.probing = -1; });
  }
  // A session that followed a pool's redirect is left too: the operator named the pool itself.
  if (!policy_.SwitchTo(pool, /*force=*/redirect_.has_value())) {
    LOG(INFO) << "stratum: already on " << urls_[pool].ToString() << "; it is now preferred";
    return ArmWake();  // No probe any more.
  }
  LOG(INFO) << "stratum: switching to " << urls_[pool].ToString() << " (operator request)";
  redirect_.reset();
  if (active_) {
    LeaveSession(active_.get());
    Retire(std::move(active_));  // Its pending submits are still answered.
  }
  force_clean_next_ = true;  // Work of the pool we switched away from is useless there.
  RunDue();
}

}  // namespace synth::stratum
