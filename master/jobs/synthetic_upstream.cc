#include "master/jobs/synthetic_upstream.h"

#include <cstdlib>
#include <random>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace synth::jobs {

absl::StatusOr<std::unique_ptr<SyntheticUpstream>> SyntheticUpstream::FromUrl(
    const std::string& url) {
  const std::string prefix = "synthetic://";
  if (url.rfind(prefix, 0) != 0) return absl::InvalidArgumentError("not a synthetic:// URL");
  std::vector<std::string> parts = absl::StrSplit(url.substr(prefix.size()), '/');
  double difficulty = 1, seconds = 60;
  if (!parts.empty() && !parts[0].empty() && !absl::SimpleAtod(parts[0], &difficulty)) {
    return absl::InvalidArgumentError(absl::StrCat("bad difficulty in ", url));
  }
  if (parts.size() > 1 && !absl::SimpleAtod(parts[1], &seconds)) {
    return absl::InvalidArgumentError(absl::StrCat("bad interval in ", url));
  }
  bool clean = parts.size() > 2 && parts[2] == "clean";
  if (!(difficulty > 0) || !(seconds > 0)) {
    return absl::InvalidArgumentError(absl::StrCat("difficulty and interval must be > 0: ", url));
  }
  auto up = std::make_unique<SyntheticUpstream>(difficulty, absl::Seconds(seconds), clean);
  up->url_ = url;
  return up;
}

SyntheticUpstream::SyntheticUpstream(double difficulty, absl::Duration interval, bool clean)
    : difficulty_(difficulty), interval_(interval), clean_(clean), url_("synthetic://") {}

SyntheticUpstream::~SyntheticUpstream() { Stop(); }

UpstreamJob SyntheticUpstream::MakeJob(uint64_t n, bool clean) const {
  std::mt19937_64 rng(n * 0x9e3779b97f4a7c15ull + 1);
  UpstreamJob j;
  j.notify.job_id = absl::StrCat(absl::Hex(n));
  for (auto& b : j.notify.prev_hash) b = static_cast<uint8_t>(rng());
  j.notify.coinb1.resize(42);
  j.notify.coinb2.resize(60);
  for (auto& b : j.notify.coinb1) b = static_cast<uint8_t>(rng());
  for (auto& b : j.notify.coinb2) b = static_cast<uint8_t>(rng());
  j.notify.merkle_branch.resize(4);
  for (auto& h : j.notify.merkle_branch) {
    for (auto& b : h) b = static_cast<uint8_t>(rng());
  }
  j.notify.version = 0x20000000;
  j.notify.nbits = 0x1703a30c;
  j.notify.ntime = static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now()));
  j.notify.clean_jobs = clean;
  j.difficulty = difficulty_;
  j.extranonce1 = {0x01, 0x02, 0x03, 0x04};
  j.extranonce2_size = 8;
  return j;
}

void SyntheticUpstream::Start(JobCallback on_job) {
  thread_ = std::make_unique<std::thread>([this, on_job = std::move(on_job)] {
    uint64_t n = 1;
    on_job(MakeJob(n++, true));
    while (!stop_.WaitForNotificationWithTimeout(interval_)) on_job(MakeJob(n++, clean_));
  });
}

void SyntheticUpstream::Stop() {
  if (thread_ == nullptr) return;
  if (!stop_.HasBeenNotified()) stop_.Notify();
  thread_->join();
  thread_.reset();
}

void SyntheticUpstream::Submit(const UpstreamShare&, SubmitCallback done) {
  ++submitted_;
  done(SubmitResult{.accepted = true});
}

UpstreamInfo SyntheticUpstream::Info() const { return {url_, true}; }

}  // namespace synth::jobs
