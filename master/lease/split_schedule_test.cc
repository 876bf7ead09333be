#include "master/lease/split_schedule.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace synth::lease {
namespace {

absl::Time Utc(int y, int mo, int d, int h, int mi, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

SplitSchedule MustParse(const std::string& text, size_t pools = 2,
                        const std::string& tz = "UTC") {
  absl::StatusOr<SplitSchedule> s = SplitSchedule::Parse(text, pools, tz);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : SplitSchedule();
}

TEST(SplitScheduleTest, ParsesDaysTimesWeightsAndZones) {
  SplitSchedule s = MustParse(
      "Mon-Fri 08:00-20:00 weights=0,100 tz=Europe/Berlin; sat,SUN 22:00-6:00 weights=1.5,0 ;"
      "  9:30-24:00\tweights=0,0");
  ASSERT_EQ(s.windows().size(), 3u);
  const ScheduleWindow& a = s.windows()[0];
  EXPECT_EQ(a.text, "Mon-Fri 08:00-20:00 weights=0,100 tz=Europe/Berlin");
  EXPECT_EQ(a.days, (std::array<bool, 7>{true, true, true, true, true, false, false}));
  EXPECT_EQ(a.start_minute, 8 * 60);
  EXPECT_EQ(a.end_minute, 20 * 60);
  EXPECT_EQ(a.weights, (std::vector<double>{0, 100}));
  EXPECT_EQ(a.tz_name, "Europe/Berlin");
  const ScheduleWindow& b = s.windows()[1];
  EXPECT_EQ(b.days, (std::array<bool, 7>{false, false, false, false, false, true, true}));
  EXPECT_EQ(b.start_minute, 22 * 60);
  EXPECT_EQ(b.end_minute, 6 * 60);
  EXPECT_EQ(b.weights, (std::vector<double>{1.5, 0}));
  EXPECT_EQ(b.tz_name, "UTC");  // The default zone.
  const ScheduleWindow& c = s.windows()[2];
  EXPECT_EQ(c.days, (std::array<bool, 7>{true, true, true, true, true, true, true}));
  EXPECT_EQ(c.end_minute, 24 * 60);
  EXPECT_TRUE(MustParse("").empty());
  EXPECT_EQ(MustParse("Fri-Mon 00:00-24:00 weights=1,1").windows()[0].days,
            (std::array<bool, 7>{true, false, false, false, true, true, true}));
}

TEST(SplitScheduleTest, BadInputGetsAClearError) {
  struct Case {
    std::string text;
    std::string tz;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"Mox 08:00-20:00 weights=1,1", "UTC", "window 1 ('Mox 08:00-20:00 weights=1,1'): unknown "
                                             "day 'Mox'"},
      {"Mon-Fri-Sun 08:00-20:00 weights=1,1", "UTC", "bad day range 'Mon-Fri-Sun'"},
      {"Mon 8:0-20:00 weights=1,1", "UTC", "bad time '8:0'"},
      {"Mon 25:00-26:00 weights=1,1", "UTC", "bad time '25:00'"},
      {"Mon 24:00-06:00 weights=1,1", "UTC", "bad time '24:00'"},
      {"Mon 08:60-09:00 weights=1,1", "UTC", "bad time '08:60'"},
      {"Mon +8:00-09:00 weights=1,1", "UTC", "bad time '+8:00'"},
      {"Mon 08:00-08:00 weights=1,1", "UTC", "is empty (for a whole day write 00:00-24:00)"},
      {"Mon 08:00 weights=1,1", "UTC", "bad time range '08:00'"},
      {"Mon", "UTC", "no time range"},
      {"Mon 08:00-20:00", "UTC", "no weights=W1,...,Wn"},
      {"Mon 08:00-20:00 weights=1", "UTC", "weights= has 1 weights for 2 pools"},
      {"Mon 08:00-20:00 weights=1,-1", "UTC", "weights= weight 2 '-1' is not a number >= 0"},
      {"Mon 08:00-20:00 weights=1,nan", "UTC", "weight 2 'nan' is not a number >= 0"},
      {"Mon 08:00-20:00 weights=1,1 weights=2,2", "UTC", "weights= given twice"},
      {"Mon 08:00-20:00 weights=1,1 colour=red", "UTC", "unknown field 'colour=red'"},
      {"Mon 08:00-20:00 weights=1,1 tz=Mars/Olympus", "UTC", "unknown time zone 'Mars/Olympus'"},
      {"Mon 08:00-20:00 weights=1,1", "", "no time zone: add tz=Area/City"},
      {"Mon 08:00-20:00 weights=1,1; Tue 1:00-2:00 weights=1", "UTC", "--schedule window 2"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<SplitSchedule> s = SplitSchedule::Parse(c.text, 2, c.tz);
    ASSERT_FALSE(s.ok()) << c.text;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(c.error), absl::string_view::npos)
        << c.text << " -> " << s.status();
  }
}

TEST(SplitScheduleTest, WeekdayWindowInUtc) {
  SplitSchedule s = MustParse("Mon-Fri 08:00-20:00 weights=0,1");
  // 2025-06-02 is a Monday.
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 7, 59, 59)), -1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 8, 0)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 19, 59, 59)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 20, 0)), -1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 6, 12, 0)), 0);   // Friday.
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 7, 12, 0)), -1);  // Saturday.
}

TEST(SplitScheduleTest, OvernightWindowBelongsToTheDayItStarts) {
  SplitSchedule s = MustParse("Fri 22:00-06:00 weights=0,1");
  // 2025-06-06 is a Friday.
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 6, 21, 59)), -1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 6, 22, 0)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 7, 5, 59)), 0);   // Saturday morning.
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 7, 6, 0)), -1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 6, 5, 0)), -1);   // Friday morning: Thursday's night.
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 7, 23, 0)), -1);  // Saturday night.
  SplitSchedule late = MustParse("Sun 22:00-24:00 weights=0,1");
  EXPECT_EQ(late.ActiveWindow(Utc(2025, 6, 8, 23, 59)), 0);
  EXPECT_EQ(late.ActiveWindow(Utc(2025, 6, 9, 0, 0)), -1);  // Monday.
}

TEST(SplitScheduleTest, FirstWindowWinsWhereTheyOverlap) {
  SplitSchedule s = MustParse("Mon 10:00-12:00 weights=1,0; 00:00-24:00 weights=0,1");
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 11, 0)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 12, 0)), 1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 3, 11, 0)), 1);
}

TEST(SplitScheduleTest, LocalTimeFollowsDaylightSavingTime) {
  SplitSchedule s = MustParse("Mon-Fri 08:00-20:00 weights=0,1", 2, "Europe/Berlin");
  // Friday 2025-03-28 is on CET (UTC+1), Monday 2025-03-31 on CEST (UTC+2).
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 3, 28, 6, 59)), -1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 3, 28, 7, 0)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 3, 31, 5, 59)), -1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 3, 31, 6, 0)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 3, 31, 17, 59)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 3, 31, 18, 0)), -1);
  // And back: Friday 2025-10-24 on CEST, Monday 2025-10-27 on CET.
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 10, 24, 6, 0)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 10, 27, 6, 59)), -1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 10, 27, 7, 0)), 0);
}

TEST(SplitScheduleTest, SkippedLocalHourNeverOccursAndRepeatedHourCountsTwice) {
  SplitSchedule s = MustParse("Sun 02:00-03:00 weights=0,1 tz=Europe/Berlin");
  // 2025-03-30: 02:00 CET jumps to 03:00 CEST at 01:00 UTC.
  for (int m = 0; m < 24 * 60; m += 5) {
    EXPECT_EQ(s.ActiveWindow(Utc(2025, 3, 30, 0, 0) + absl::Minutes(m)), -1) << m;
  }
  // 2025-10-26: 03:00 CEST falls back to 02:00 CET at 01:00 UTC: 02:00-03:00 happens twice.
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 10, 25, 23, 59)), -1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 10, 26, 0, 0)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 10, 26, 1, 30)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 10, 26, 1, 59)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 10, 26, 2, 0)), -1);
}

TEST(SplitScheduleTest, WindowsMayUseDifferentZones) {
  SplitSchedule s = MustParse(
      "Mon 09:00-10:00 weights=1,0 tz=America/New_York; Mon 09:00-10:00 weights=0,1 tz=Asia/Tokyo");
  // Monday 2025-06-02 09:30 in Tokyo (UTC+9) is 00:30 UTC; in New York (UTC-4) 13:30 UTC.
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 0, 30)), 1);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 13, 30)), 0);
  EXPECT_EQ(s.ActiveWindow(Utc(2025, 6, 2, 7, 0)), -1);
}

}  // namespace
}  // namespace synth::lease
