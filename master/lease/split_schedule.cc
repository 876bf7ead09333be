#include "master/lease/split_schedule.h"

#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace synth::lease {
namespace {

constexpr const char* kDayNames[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr int kMinutesPerDay = 24 * 60;

absl::StatusOr<int> ParseDay(absl::string_view text) {
  std::string lower = absl::AsciiStrToLower(text);
  for (int d = 0; d < 7; ++d) {
    if (lower == kDayNames[d]) return d;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown day '", text, "' (Mon Tue Wed Thu Fri Sat Sun)"));
}

// "Mon-Fri,Sun": ranges may wrap (Fri-Mon).
absl::Status ParseDays(absl::string_view text, std::array<bool, 7>* days) {
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    std::vector<absl::string_view> ends = absl::StrSplit(item, '-');
    if (ends.size() > 2) return absl::InvalidArgumentError(absl::StrCat("bad day range '", item, "'"));
    ASSIGN_OR_RETURN(int first, ParseDay(ends[0]));
    ASSIGN_OR_RETURN(int last, ParseDay(ends.back()));
    for (int d = first;; d = (d + 1) % 7) {
      (*days)[d] = true;
      if (d == last) break;
    }
  }
  return absl::OkStatus();
}

// "HH:MM" (or "H:MM") as minutes after midnight; 24:00 only when `is_end`.
absl::StatusOr<int> ParseClock(absl::string_view text, bool is_end) {
  auto digits = [](absl::string_view s, size_t min, size_t max) {
    return s.size() >= min && s.size() <= max &&
           s.find_first_not_of("0123456789") == absl::string_view::npos;
  };
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  int hours = 0, minutes = 0;
  bool ok = parts.size() == 2 && digits(parts[0], 1, 2) && digits(parts[1], 2, 2) &&
            absl::SimpleAtoi(parts[0], &hours) && absl::SimpleAtoi(parts[1], &minutes) &&
            minutes < 60;
  int total = hours * 60 + minutes;
  if (!ok || total > kMinutesPerDay || (total == kMinutesPerDay && !is_end)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad time '", text, "' (HH:MM from 00:00 to 23:59; an end may be 24:00)"));
  }
  return total;
}

absl::Status ParseRange(absl::string_view text, ScheduleWindow* w) {
  std::vector<absl::string_view> ends = absl::StrSplit(text, '-');
  if (ends.size() != 2) {
    return absl::InvalidArgumentError(absl::StrCat("bad time range '", text, "' (HH:MM-HH:MM)"));
  }
  ASSIGN_OR_RETURN(w->start_minute, ParseClock(ends[0], /*is_end=*/false));
  ASSIGN_OR_RETURN(w->end_minute, ParseClock(ends[1], /*is_end=*/true));
  if (w->end_minute == w->start_minute) {
    return absl::InvalidArgumentError(absl::StrCat(
        "time range '", text, "' is empty (for a whole day write 00:00-24:00)"));
  }
  return absl::OkStatus();
}

absl::Status ParseField(absl::string_view field, size_t pool_count, ScheduleWindow* w) {
  std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
  if (kv.first == "weights" && w->weights.empty()) {
    ASSIGN_OR_RETURN(w->weights, ParseWeightList(kv.second, pool_count, "weights=",
                                                 /*allow_all_zero=*/true));
    return absl::OkStatus();
  }
  if (kv.first == "tz" && w->tz_name.empty()) {
    w->tz_name = std::string(kv.second);
    return absl::OkStatus();
  }
  if (kv.first == "weights" || kv.first == "tz") {
    return absl::InvalidArgumentError(absl::StrCat(kv.first, "= given twice"));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown field '", field, "' (weights=W1,...,Wn and tz=Area/City)"));
}

absl::StatusOr<ScheduleWindow> ParseWindow(absl::string_view text, size_t pool_count,
                                           absl::string_view default_tz) {
  ScheduleWindow w;
  w.text = std::string(text);
  std::vector<absl::string_view> tokens = absl::StrSplit(text, absl::ByAnyChar(" \t"),
                                                         absl::SkipEmpty());
  size_t next = 0;
  if (next < tokens.size() && tokens[next].find(':') == absl::string_view::npos) {
    RETURN_IF_ERROR(ParseDays(tokens[next++], &w.days));
  } else {
    w.days.fill(true);
  }
  if (next >= tokens.size()) return absl::InvalidArgumentError("no time range (HH:MM-HH:MM)");
  RETURN_IF_ERROR(ParseRange(tokens[next++], &w));
  for (; next < tokens.size(); ++next) RETURN_IF_ERROR(ParseField(tokens[next], pool_count, &w));
  if (w.weights.empty()) return absl::InvalidArgumentError("no weights=W1,...,Wn");
  if (w.tz_name.empty()) w.tz_name = std::string(default_tz);
  if (w.tz_name.empty()) {
    return absl::InvalidArgumentError(
        "no time zone: add tz=Area/City (e.g. tz=Europe/Berlin, tz=UTC) or set --schedule-tz");
  }
  if (!absl::LoadTimeZone(w.tz_name, &w.tz)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone '", w.tz_name, "' (not in the system tzdata)"));
  }
  return w;
}

}  // namespace

absl::StatusOr<std::vector<double>> ParseWeightList(absl::string_view text, size_t pool_count,
                                                    absl::string_view what, bool allow_all_zero) {
  std::vector<double> weights;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    double w = 0;
    if (!absl::SimpleAtod(item, &w) || !std::isfinite(w) || w < 0) {
      return absl::InvalidArgumentError(absl::StrCat(what, " weight ", weights.size() + 1, " '",
                                                     item, "' is not a number >= 0"));
    }
    weights.push_back(w);
  }
  if (weights.size() != pool_count) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has ", weights.size(), " weights for ",
                                                   pool_count, " pools (one per --pool)"));
  }
  bool any = false;
  for (double w : weights) any = any || w > 0;
  if (!any && !allow_all_zero) {
    return absl::InvalidArgumentError(absl::StrCat(what, " are all zero"));
  }
  return weights;
}

bool ScheduleWindow::Contains(absl::Time now) const {
  absl::CivilMinute local = absl::ToCivilMinute(now, tz);
  int day = static_cast<int>(absl::GetWeekday(absl::CivilDay(local)));  // Monday = 0.
  int minute = local.hour() * 60 + local.minute();
  if (start_minute < end_minute) return days[day] && minute >= start_minute && minute < end_minute;
  // Past midnight: the evening part belongs to `day`, the morning part to the day before.
  return (days[day] && minute >= start_minute) || (days[(day + 6) % 7] && minute < end_minute);
}

absl::StatusOr<SplitSchedule> SplitSchedule::Parse(absl::string_view text, size_t pool_count,
                                                   absl::string_view default_tz) {
  SplitSchedule schedule;
  int number = 0;
  for (absl::string_view item : absl::StrSplit(text, ';')) {
    item = absl::StripAsciiWhitespace(item);
    if (item.empty()) continue;
    ++number;
    absl::StatusOr<ScheduleWindow> w = ParseWindow(item, pool_count, default_tz);
    if (!w.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--schedule window ", number, " ('", item,
                                                     "'): ", w.status().message()));
    }
    schedule.windows_.push_back(*std::move(w));
  }
  return schedule;
}

int SplitSchedule::ActiveWindow(absl::Time now) const {
  for (size_t i = 0; i < windows_.size(); ++i) {
    if (windows_[i].Contains(now)) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace synth::lease
