// File: master/lease/split_schedule.h
//
// Time windows that put another weight set of the pool split in force (docs/CLUSTER.md "Pool
// split"), for time-of-use power prices and mining hours. A window names week days, a local time
// range and the weights it sets; it is evaluated in an explicit time zone (absl's time zones,
// read from the system tzdata), so daylight saving time moves it with the wall clock.
//
//   absl::StatusOr<SplitSchedule> schedule = SplitSchedule::Parse(
//       "Mon-Fri 08:00-20:00 weights=0,100; Sat,Sun 00:00-24:00 weights=0,0",
//       /*pool_count=*/2, /*default_tz=*/"Europe/Berlin");
//   int window = schedule->ActiveWindow(clock->Now());   // -1: the base weights apply
//
// Syntax: windows separated by ';', each "[DAYS] HH:MM-HH:MM FIELD...":
//   DAYS     day or day-day range, comma-separated (Mon Tue Wed Thu Fri Sat Sun, any case;
//            Fri-Mon wraps over the weekend); left out: every day.
//   HH:MM    00:00..23:59; the end may be 24:00. An end before the start runs past midnight
//            into the next day ("Fri 22:00-06:00" is Friday 22:00 to Saturday 06:00).
//   weights=W1,...,Wn   one weight (>= 0) per pool; all zero pauses mining in the window.
//   tz=Area/City        the window's time zone; without it, `default_tz` (--schedule-tz).
// Local times a DST change skips never occur; a repeated hour is in the window both times. When
// windows overlap, the first one given wins.
//
// Thread-safety: immutable after Parse(); const methods may be called from any thread.
#ifndef SYNTH_MASTER_LEASE_SPLIT_SCHEDULE_H_
#define SYNTH_MASTER_LEASE_SPLIT_SCHEDULE_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace synth::lease {

// Parses "W1,W2,...": exactly `pool_count` finite numbers >= 0. `what` names the list in errors
// ("--weights"). An all-zero list is allowed only when `allow_all_zero`.
absl::StatusOr<std::vector<double>> ParseWeightList(absl::string_view text, size_t pool_count,
                                                    absl::string_view what, bool allow_all_zero);

// One window of a schedule.
struct ScheduleWindow {
  std::string text;                  // As given (whitespace trimmed), for status and errors.
  std::array<bool, 7> days{};        // Indexed Monday = 0 .. Sunday = 6.
  int start_minute = 0;              // Minutes after local midnight, 0..1439.
  int end_minute = 0;                // 0..1440; below start_minute: ends on the next day.
  std::vector<double> weights;       // One per pool.
  std::string tz_name;               // As given.
  absl::TimeZone tz;

  // True when local time `now` in tz falls in the window.
  bool Contains(absl::Time now) const;
};

class SplitSchedule {
 public:
  // An empty schedule: no window is ever active.
  SplitSchedule() = default;

  // Parses `text` for `pool_count` pools (syntax above). `default_tz` is the zone of windows
  // without tz= ("" = none: such a window is an error). INVALID_ARGUMENT naming the window and
  // the problem (bad day, time, weight count, unknown zone, a missing zone).
  static absl::StatusOr<SplitSchedule> Parse(absl::string_view text, size_t pool_count,
                                             absl::string_view default_tz);

  // Returns the index of the first window containing `now`, -1 when none does.
  int ActiveWindow(absl::Time now) const;

  const std::vector<ScheduleWindow>& windows() const { return windows_; }
  bool empty() const { return windows_.empty(); }

 private:
  std::vector<ScheduleWindow> windows_;
};

}  // namespace synth::lease

#endif  // SYNTH_MASTER_LEASE_SPLIT_SCHEDULE_H_
