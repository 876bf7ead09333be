#include "worker/conn/wire.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synth::worker {
namespace {

using ::testing::HasSubstr;

hash::ScanWork SomeWork() {
  hash::ScanWork w;
  for (int i = 0; i < 8; ++i) {
    w.midstate[i] = 0x01020304u * (i + 1);
    w.target[i] = 0xa0b0c0d0u + i;
  }
  for (int i = 0; i < 12; ++i) w.tail[i] = static_cast<uint8_t>(i * 7);
  return w;
}

TEST(WireTest, MidstateRoundTrips) {
  hash::ScanWork w = SomeWork();
  v1::Midstate m = MidstateMessage(9, "job", w);
  absl::StatusOr<std::shared_ptr<const hash::ScanWork>> back = ParseMidstate(m);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ((*back)->midstate, w.midstate);
  EXPECT_EQ((*back)->tail, w.tail);
  EXPECT_EQ((*back)->target, w.target);
}

TEST(WireTest, MidstateBytesFollowTheProtoByteOrders) {
  hash::ScanWork w = SomeWork();
  v1::Midstate m = MidstateMessage(1, "j", w);
  // state: H0 big-endian first; share_target: 256-bit little-endian (word 0 LE first).
  EXPECT_EQ(static_cast<uint8_t>(m.state()[0]), 0x01);
  EXPECT_EQ(static_cast<uint8_t>(m.state()[3]), 0x04);
  EXPECT_EQ(static_cast<uint8_t>(m.share_target()[0]), 0xd0);
  EXPECT_EQ(static_cast<uint8_t>(m.share_target()[3]), 0xa0);
}

TEST(WireTest, BadMidstateLengthsAreClearErrors) {
  v1::Midstate m = MidstateMessage(5, "j", SomeWork());
  m.set_tail("short");
  absl::Status s = ParseMidstate(m).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("midstate 5"));
  EXPECT_THAT(s.message(), HasSubstr("tail has 5 bytes, want 12"));
  m = MidstateMessage(5, "j", SomeWork());
  m.set_state("");
  EXPECT_FALSE(ParseMidstate(m).ok());
  m = MidstateMessage(5, "j", SomeWork());
  m.set_share_target(std::string(33, 'x'));
  EXPECT_FALSE(ParseMidstate(m).ok());
}

TEST(WireTest, WorkUnitRangesAreChecked) {
  auto work = std::make_shared<const hash::ScanWork>(SomeWork());
  v1::WorkUnit u;
  u.set_unit_id(3);
  u.set_job_id("j");
  u.set_midstate_id(4);
  u.set_nonce_start(0xffffff00u);
  u.set_nonce_count(0x100);
  absl::StatusOr<WorkUnit> ok = ParseWorkUnit(u, work);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->nonce_count, 0x100u);
  EXPECT_EQ(ok->midstate_id, 4u);
  u.set_nonce_count(0x101);
  EXPECT_EQ(ParseWorkUnit(u, work).status().code(), absl::StatusCode::kInvalidArgument);
  u.set_nonce_count(0);
  EXPECT_FALSE(ParseWorkUnit(u, work).ok());
}

TEST(WireTest, ProgressAndShareCarryTheirFields) {
  v1::WorkerMessage p = ProgressMessage(
      {{1, "j", UnitState::kCompleted, 100}, {2, "j", UnitState::kReturned, 7}});
  ASSERT_EQ(p.progress().units_size(), 2);
  EXPECT_EQ(p.progress().units(0).state(), v1::UNIT_STATE_COMPLETED);
  EXPECT_EQ(p.progress().units(1).state(), v1::UNIT_STATE_RETURNED);
  EXPECT_EQ(p.progress().units(1).hashes_done(), 7u);
  PendingShare ps{42, FoundShare{5, "job", 6, 0xdeadbeef, "cpu1", absl::FromUnixMicros(123)}, 0};
  v1::WorkerMessage s = ShareMessage(ps);
  EXPECT_EQ(s.share().share_id(), 42u);
  EXPECT_EQ(s.share().unit_id(), 5u);
  EXPECT_EQ(s.share().midstate_id(), 6u);
  EXPECT_EQ(s.share().nonce(), 0xdeadbeefu);
  EXPECT_EQ(s.share().device(), "cpu1");
  EXPECT_EQ(s.share().found_unix_us(), 123);
}

TEST(WireTest, TelemetryTrendIsARatio) {
  DeviceStats d;
  d.info.name = "cpu0";
  d.window.rate_hps = 5e6;
  d.window.trend = -0.1;
  d.window.busy_s = 1.25;
  v1::WorkerMessage t = TelemetryMessage({d}, 1000, 3, 1.5);
  ASSERT_EQ(t.telemetry().devices_size(), 1);
  EXPECT_DOUBLE_EQ(t.telemetry().devices(0).trend(), 0.9);
  EXPECT_DOUBLE_EQ(t.telemetry().devices(0).rate_hps(), 5e6);
  EXPECT_DOUBLE_EQ(t.telemetry().devices(0).window_busy_s(), 1.25);
  EXPECT_DOUBLE_EQ(t.telemetry().idle_fraction(), 1.0);
  EXPECT_EQ(t.telemetry().buffered_units(), 3u);
  EXPECT_FALSE(t.telemetry().devices(0).hung());
  d.hung = true;
  d.hangs = 2;
  v1::WorkerMessage h = TelemetryMessage({d}, 0, 0, 0);
  EXPECT_TRUE(h.telemetry().devices(0).hung());
  EXPECT_EQ(h.telemetry().devices(0).hangs(), 2u);
}

}  // namespace
}  // namespace synth::worker
