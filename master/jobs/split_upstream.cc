#include "master/jobs/split_upstream.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace synth::jobs {
namespace {

absl::Status NoSwitch() {
  return absl::FailedPreconditionError(
      "the master splits its work among its pools by --weights; there is no pool to switch to "
      "(change the weights and restart)");
}

}  // namespace

SplitUpstream::SplitUpstream(std::vector<std::unique_ptr<Upstream>> pools)
    : pools_(std::move(pools)) {
  CHECK(!pools_.empty());
  for (const std::unique_ptr<Upstream>& p : pools_) CHECK(p != nullptr);
}

void SplitUpstream::Start(JobCallback on_job) {
  for (size_t i = 0; i < pools_.size(); ++i) {
    pools_[i]->Start([on_job, i](const UpstreamJob& job) {
      UpstreamJob tagged = job;
      tagged.pool = i;
      on_job(tagged);
    });
  }
}

void SplitUpstream::Stop() {
  for (const std::unique_ptr<Upstream>& p : pools_) p->Stop();
}

void SplitUpstream::Submit(const UpstreamShare& share, SubmitCallback done) {
  if (share.pool >= pools_.size()) {
    done(SubmitResult{.reason = absl::StrCat("no pool ", share.pool), .not_sent = true});
    return;
  }
  pools_[share.pool]->Submit(share, std::move(done));
}

UpstreamInfo SplitUpstream::Info() const {
  UpstreamInfo out;
  std::vector<std::string> urls;
  for (const std::unique_ptr<Upstream>& p : pools_) {
    UpstreamInfo i = p->Info();
    urls.push_back(i.url);
    out.connected = out.connected || i.connected;
  }
  out.url = absl::StrJoin(urls, ",");
  return out;
}

std::vector<UpstreamPool> SplitUpstream::Pools() const {
  std::vector<UpstreamPool> out;
  for (size_t i = 0; i < pools_.size(); ++i) {
    std::vector<UpstreamPool> own = pools_[i]->Pools();
    UpstreamPool p = own.empty() ? UpstreamPool{} : own.front();
    for (const UpstreamPool& q : own) {
      if (q.active) p = q;  // The entry mining now.
    }
    p.index = static_cast<int>(i);
    p.active = true;
    p.preferred = false;
    out.push_back(std::move(p));
  }
  return out;
}

bool SplitUpstream::Connected(size_t index) const {
  return index < pools_.size() && pools_[index]->Info().connected;
}

absl::StatusOr<UpstreamPool> SplitUpstream::SwitchPool(int) { return NoSwitch(); }

absl::StatusOr<UpstreamPool> SplitUpstream::SwitchPool(const std::string&) { return NoSwitch(); }

}  // namespace synth::jobs
