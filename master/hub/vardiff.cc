#include "master/hub/vardiff.h"

#include <algorithm>

namespace synth::hub {
namespace {
constexpr double kTwo32 = 4294967296.0;
constexpr double kQuietFactor = 4;  // A window without shares divides the difficulty by this.
}  // namespace

Vardiff::Vardiff(const VardiffOptions& options, double start, absl::Time now)
    : options_(options), difficulty_(start) {
  difficulty_ = Clamp(start);
  Restart(now);
}

double Vardiff::Clamp(double d) const {
  double floor = std::max(options_.floor, miner_floor_);
  if (ceiling_ > 0) d = std::min(d, ceiling_);
  return std::max(d, floor);  // A miner's minimum wins over the pool's ceiling (BIP 310).
}

void Vardiff::Restart(absl::Time now) {
  window_start_ = now;
  window_work_ = 0;
  window_shares_ = 0;
}

void Vardiff::OnShare(double difficulty) {
  window_work_ += difficulty;
  ++window_shares_;
}

std::optional<double> Vardiff::Retarget(absl::Time now) {
  double seconds = absl::ToDoubleSeconds(now - window_start_);
  if (now - window_start_ < options_.retarget_every || seconds <= 0) return std::nullopt;
  rate_hps_ = window_work_ * kTwo32 / seconds;
  // The difficulty at which the window's work would have come as target_per_min shares.
  double want = window_shares_ == 0 ? difficulty_ / kQuietFactor
                                    : window_work_ * 60 / (seconds * options_.target_per_min);
  Restart(now);
  want = Clamp(want);
  double band = std::max(1.0, options_.dead_band);
  if (want >= difficulty_ / band && want <= difficulty_ * band) return std::nullopt;
  difficulty_ = want;
  return difficulty_;
}

std::optional<double> Vardiff::SetBounds(double miner_floor, double ceiling) {
  miner_floor_ = std::max(0.0, miner_floor);
  ceiling_ = std::max(0.0, ceiling);
  double d = Clamp(difficulty_);
  if (d == difficulty_) return std::nullopt;
  difficulty_ = d;
  return d;
}

std::optional<double> Vardiff::Suggest(double difficulty, absl::Time now) {
  double d = Clamp(difficulty);
  Restart(now);
  if (d == difficulty_) return std::nullopt;
  difficulty_ = d;
  return d;
}

}  // namespace synth::hub
