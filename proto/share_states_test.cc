#include "proto/share_states.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace synth::proto {
namespace {

// Every wire state but UNSPECIFIED has exactly one row, named after its enum value.
TEST(ShareStatesTest, EveryWireStateHasOneRowNamedAfterIt) {
  const google::protobuf::EnumDescriptor* e = v1::ShareState_descriptor();
  std::set<v1::ShareState> rows;
  for (const ShareStateInfo& s : kShareStates) EXPECT_TRUE(rows.insert(s.state).second) << s.name;
  for (int i = 0; i < e->value_count(); ++i) {
    auto state = static_cast<v1::ShareState>(e->value(i)->number());
    if (state == v1::SHARE_STATE_UNSPECIFIED) continue;
    const ShareStateInfo* row = FindShareState(state);
    ASSERT_NE(row, nullptr) << e->value(i)->name() << " has no row in kShareStates";
    std::string name = e->value(i)->name();
    ASSERT_TRUE(absl::StartsWith(name, "SHARE_STATE_"));
    EXPECT_EQ(row->name, absl::AsciiStrToLower(name.substr(12)));
  }
  EXPECT_EQ(rows.size() + 1, static_cast<size_t>(e->value_count()));
  EXPECT_EQ(FindShareState(v1::SHARE_STATE_UNSPECIFIED), nullptr);
  EXPECT_EQ(ShareStateName(v1::SHARE_STATE_UNSPECIFIED), "unspecified");
  EXPECT_EQ(ShareStateName(static_cast<v1::ShareState>(999)), "unspecified");
}

// Each row's counter is the ShareCounts field of its name, and every per-state field of
// ShareCounts (all but found, accepted_difficulty and resent) is some row's counter.
TEST(ShareStatesTest, RowsCountIntoTheFieldOfTheirName) {
  const google::protobuf::Descriptor* d = v1::ShareCounts::descriptor();
  std::set<std::string> counted;
  for (const ShareStateInfo& s : kShareStates) {
    v1::ShareCounts c;
    CountShare(s.state, &c, 3);
    const google::protobuf::FieldDescriptor* f = d->FindFieldByName(std::string(s.name));
    ASSERT_NE(f, nullptr) << s.name;
    EXPECT_EQ(c.GetReflection()->GetUInt64(c, f), 3u) << s.name;
    EXPECT_EQ(CountOf(c, s.state), 3u);
    EXPECT_EQ(SumOfStates(c), 3u);
    counted.insert(std::string(s.name));
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const std::string& name = d->field(i)->name();
    if (name == "found" || name == "accepted_difficulty" || name == "resent") continue;
    EXPECT_TRUE(counted.contains(name)) << "ShareCounts." << name << " is no state's counter";
  }
}

TEST(ShareStatesTest, SumOfStatesAddsEveryRow) {
  v1::ShareCounts c;
  CountShare(v1::SHARE_STATE_ACCEPTED, &c);
  CountShare(v1::SHARE_STATE_ACCEPTED, &c);
  CountShare(v1::SHARE_STATE_PENDING, &c);
  CountShare(v1::SHARE_STATE_PENDING, &c, -1);
  CountShare(v1::SHARE_STATE_STALE, &c);
  EXPECT_EQ(c.accepted(), 2u);
  EXPECT_EQ(c.pending(), 0u);
  EXPECT_EQ(SumOfStates(c), 3u);
}

}  // namespace
}  // namespace synth::proto
