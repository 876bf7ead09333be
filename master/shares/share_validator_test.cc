#include "master/shares/share_validator.h"

#include "common/bitcoin/uint256.h"
#include "gtest/gtest.h"
#include "master/jobs/test_jobs.h"

namespace synth::shares {
namespace {

// Share target 2^244: one nonce in 4096 is a share.
constexpr double kEasy = 65535.0 / 68719476736.0;

class ShareValidatorTest : public ::testing::Test {
 protected:
  ShareValidatorTest()
      : jobs_({.cache_ahead = 2}), leases_({}, &clock_, &jobs_), validator_(&jobs_, &leases_) {}

  // Adds a job and leases one unit of 2^20 nonces to worker 1.
  const lease::Unit* Start(double difficulty, uint32_t mask = 0, bool clean = true) {
    absl::StatusOr<std::vector<std::string>> dead =
        jobs_.AddJob(jobs::TestJob("p1", 4, difficulty, clean, mask));
    EXPECT_TRUE(dead.ok());
    leases_.DropJobs(*dead);
    validator_.DropJobs(*dead);
    leases_.AddWorker(1, 1e6);
    lease::Lease l = leases_.Grant(1, 0, uint64_t{1} << 20);
    // With version rolling fresh work comes in rows of four sibling midstates.
    EXPECT_EQ(l.units.size(), mask == 0 ? 1u : 4u);
    return l.units[0];
  }

  // Returns the first nonce of the unit whose hash meets (or fails) the share target.
  static uint32_t Find(const lease::Unit* u, bool meets) {
    for (uint32_t n = u->nonce_start;; ++n) {
      if (hash::MeetsTarget(hash::HashNonce(u->midstate->work, n), u->midstate->work.target) ==
          meets) {
        return n;
      }
    }
  }

  static ShareIn In(const lease::Unit* u, uint32_t nonce) {
    return {.worker = 1,
            .unit_id = u->unit_id,
            .midstate_id = u->midstate->midstate_id,
            .job_key = u->midstate->job_key,
            .nonce = nonce,
            .device = "cpu0"};
  }

  FakeClock clock_;
  jobs::JobManager jobs_;
  lease::LeaseManager leases_;
  ShareValidator validator_;
};

TEST_F(ShareValidatorTest, ValidShareIsPendingWithTheSubmit) {
  const lease::Unit* u = Start(kEasy);
  uint32_t nonce = Find(u, true);
  ShareCheck c = validator_.Validate(In(u, nonce));
  ASSERT_EQ(c.state, v1::SHARE_STATE_PENDING) << c.reason;
  ASSERT_TRUE(c.submit.has_value());
  EXPECT_EQ(c.submit->job_id, "p1");
  EXPECT_EQ(c.submit->extranonce2, u->midstate->extranonce2);
  EXPECT_EQ(c.submit->ntime, u->midstate->ntime);
  EXPECT_EQ(c.submit->nonce, nonce);
  EXPECT_FALSE(c.submit->has_version_bits);
  EXPECT_DOUBLE_EQ(c.difficulty, kEasy);
  EXPECT_DOUBLE_EQ(c.submit->difficulty, kEasy);  // The stratum client credits this one.
}

TEST_F(ShareValidatorTest, DuplicateIsCaught) {
  const lease::Unit* u = Start(kEasy);
  uint32_t nonce = Find(u, true);
  EXPECT_EQ(validator_.Validate(In(u, nonce)).state, v1::SHARE_STATE_PENDING);
  EXPECT_EQ(validator_.Validate(In(u, nonce)).state, v1::SHARE_STATE_DUPLICATE);
}

TEST_F(ShareValidatorTest, NearMissIsBelowTarget) {
  const lease::Unit* u = Start(kEasy);
  ShareCheck c = validator_.Validate(In(u, Find(u, false)));
  EXPECT_EQ(c.state, v1::SHARE_STATE_BELOW_TARGET);
  EXPECT_TRUE(c.device_error);
  EXPECT_FALSE(c.submit.has_value());
  EXPECT_EQ(c.hash_difficulty, 0);  // Only shares that met their target have one.
}

TEST_F(ShareValidatorTest, HashDifficultyIsDiff1OverTheHash) {
  const lease::Unit* u = Start(kEasy);
  uint32_t nonce = Find(u, true);
  ShareCheck c = validator_.Validate(In(u, nonce));
  ASSERT_EQ(c.state, v1::SHARE_STATE_PENDING);
  double expected = bitcoin::DifficultyFromTarget(
      bitcoin::Uint256::FromHash(hash::HashNonce(u->midstate->work, nonce)));
  EXPECT_DOUBLE_EQ(c.hash_difficulty, expected);
  // The hash met the share target, so its own difficulty is at least the target's.
  EXPECT_GE(c.hash_difficulty, kEasy);
  // A duplicate has none.
  ShareCheck again = validator_.Validate(In(u, nonce));
  ASSERT_EQ(again.state, v1::SHARE_STATE_DUPLICATE);
  EXPECT_EQ(again.hash_difficulty, 0);
}

TEST_F(ShareValidatorTest, ForgedShareIsHardwareError) {
  const lease::Unit* u = Start(1.0);  // Target ~2^224: a random nonce is far above it.
  ShareCheck c = validator_.Validate(In(u, u->nonce_start + 5));
  EXPECT_EQ(c.state, v1::SHARE_STATE_HARDWARE_ERROR);
  EXPECT_TRUE(c.device_error);
}

TEST_F(ShareValidatorTest, UnknownUnitMidstateOrRange) {
  const lease::Unit* u = Start(kEasy);
  uint32_t nonce = Find(u, true);
  ShareIn bad = In(u, nonce);
  bad.unit_id = 987654;
  EXPECT_EQ(validator_.Validate(bad).state, v1::SHARE_STATE_UNKNOWN_UNIT);
  bad = In(u, nonce);
  bad.midstate_id += 1;
  EXPECT_EQ(validator_.Validate(bad).state, v1::SHARE_STATE_UNKNOWN_UNIT);
  bad = In(u, nonce);
  bad.job_key = "9/other";
  EXPECT_EQ(validator_.Validate(bad).state, v1::SHARE_STATE_UNKNOWN_UNIT);
  bad = In(u, static_cast<uint32_t>(u->nonce_start + u->nonce_count));  // One past the end.
  EXPECT_EQ(validator_.Validate(bad).state, v1::SHARE_STATE_UNKNOWN_UNIT);
}

TEST_F(ShareValidatorTest, ShareOfCleanedJobIsStale) {
  const lease::Unit* u = Start(kEasy);
  uint32_t nonce = Find(u, true);
  ShareIn share = In(u, nonce);
  Start(kEasy, 0, /*clean=*/true);  // New clean job: the old unit is gone.
  ShareCheck c = validator_.Validate(share);
  EXPECT_EQ(c.state, v1::SHARE_STATE_STALE);
}

TEST_F(ShareValidatorTest, VersionRollingSendsTheBits) {
  const lease::Unit* u = Start(kEasy, 0x1fffe000);
  // The second midstate of the job has roll 1: version bit 13.
  lease::Lease l = leases_.Grant(1, 0, uint64_t{1} << 32);
  const lease::Unit* second = nullptr;
  for (const lease::Unit* x : l.units) {
    if (x->midstate->midstate_id == u->midstate->midstate_id + 1) second = x;
  }
  ASSERT_NE(second, nullptr);
  ShareCheck c = validator_.Validate(In(second, Find(second, true)));
  ASSERT_EQ(c.state, v1::SHARE_STATE_PENDING);
  EXPECT_TRUE(c.submit->has_version_bits);
  EXPECT_EQ(c.submit->version_bits, 0x2000u);
  EXPECT_EQ(c.submit->version, 0x20002000u);
}

}  // namespace
}  // namespace synth::shares
