#include "master/lease/pool_split.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace synth::lease {
namespace {

constexpr int kMaxLevel = 999;

absl::StatusOr<std::vector<int>> ParseLevels(absl::string_view text, size_t pool_count) {
  std::vector<int> levels;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    int level = 0;
    if (!absl::SimpleAtoi(item, &level) || level < 0 || level > kMaxLevel) {
      return absl::InvalidArgumentError(absl::StrCat("--pool-level level ", levels.size() + 1,
                                                     " '", item, "' is not a whole number from 0 to ",
                                                     kMaxLevel));
    }
    levels.push_back(level);
  }
  if (levels.size() != pool_count) {
    return absl::InvalidArgumentError(absl::StrCat("--pool-level has ", levels.size(),
                                                   " levels for ", pool_count,
                                                   " pools (one per --pool)"));
  }
  return levels;
}

}  // namespace

absl::StatusOr<std::optional<PoolSplitConfig>> ParseSplitFlags(const SplitFlags& flags,
                                                               size_t pool_count) {
  if (!flags.schedule_tz.empty()) {
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(flags.schedule_tz, &tz)) {
      return absl::InvalidArgumentError(absl::StrCat("--schedule-tz: unknown time zone '",
                                                     flags.schedule_tz,
                                                     "' (not in the system tzdata)"));
    }
  }
  const bool weighted = !flags.weights.empty();
  if (!weighted && flags.pool_level.empty() && flags.schedule.empty()) return std::nullopt;
  if (pool_count == 0) return absl::InvalidArgumentError("a pool split needs at least one --pool");
  PoolSplitConfig config;
  config.weights.assign(pool_count, 1.0);
  if (weighted) {
    ASSIGN_OR_RETURN(config.weights, ParseWeightList(flags.weights, pool_count, "--weights",
                                                     /*allow_all_zero=*/false));
  }
  if (!flags.pool_level.empty()) {
    ASSIGN_OR_RETURN(config.levels, ParseLevels(flags.pool_level, pool_count));
  } else {
    config.levels.assign(pool_count, 0);
    if (!weighted) {
      for (size_t i = 0; i < pool_count; ++i) config.levels[i] = static_cast<int>(i);
    }
  }
  ASSIGN_OR_RETURN(config.schedule,
                   SplitSchedule::Parse(flags.schedule, pool_count, flags.schedule_tz));
  return config;
}

SplitPolicy::SplitPolicy(PoolSplitConfig config) : config_(std::move(config)) {
  CHECK_EQ(config_.weights.size(), config_.levels.size());
}

const std::vector<double>& SplitPolicy::WeightsAt(absl::Time now, int* window) const {
  *window = config_.schedule.ActiveWindow(now);
  return *window < 0 ? config_.weights : config_.schedule.windows()[*window].weights;
}

SplitTargets SplitPolicy::Targets(absl::Time now, const std::vector<bool>& live) const {
  CHECK_EQ(live.size(), config_.pool_count());
  SplitTargets t;
  t.shares.assign(config_.pool_count(), 0.0);
  const std::vector<double>& weights = WeightsAt(now, &t.window);
  t.paused = std::all_of(weights.begin(), weights.end(), [](double w) { return w <= 0; });
  // The first level with a live pool of positive weight does all the work.
  for (size_t i = 0; i < weights.size(); ++i) {
    if (live[i] && weights[i] > 0 && (t.level < 0 || config_.levels[i] < t.level)) {
      t.level = config_.levels[i];
    }
  }
  if (t.level < 0) return t;
  double sum = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (live[i] && config_.levels[i] == t.level) sum += weights[i];
  }
  for (size_t i = 0; i < weights.size(); ++i) {
    if (live[i] && config_.levels[i] == t.level) t.shares[i] = weights[i] / sum;
  }
  return t;
}

}  // namespace synth::lease
