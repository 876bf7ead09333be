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
  ASSERT_EQ(c.state, ShareState::kPending) << c.reason;
  ASSERT_TRUE(c.submit.has_value());
  EXPECT_EQ(c.submit->job_id, "p1");
  EXPECT_EQ(c.submit->extranonce2, u->midstate->extranonce2);
  EXPECT_EQ(c.submit->ntime, u->midstate->ntime);
  EXPECT_EQ(c.submit->nonce, nonce);
  EXPECT_FALSE(c.submit->has_version_bits);
  EXPECT_DOUBLE_EQ(c.difficulty, kEasy);
  // The hash met the share target, so its own difficulty is at least the target's.
  EXPECT_GE(validator_.counts().best_difficulty, kEasy);
  EXPECT_EQ(validator_.counts().pending, 1u);
  validator_.Resolve(ShareState::kAccepted, c.difficulty);
  EXPECT_EQ(validator_.counts().pending, 0u);
  EXPECT_EQ(validator_.counts().accepted, 1u);
  EXPECT_EQ(validator_.counts().found, 1u);
}

TEST_F(ShareValidatorTest, DuplicateIsCaught) {
  const lease::Unit* u = Start(kEasy);
  uint32_t nonce = Find(u, true);
  EXPECT_EQ(validator_.Validate(In(u, nonce)).state, ShareState::kPending);
  EXPECT_EQ(validator_.Validate(In(u, nonce)).state, ShareState::kDuplicate);
  EXPECT_EQ(validator_.counts().duplicate, 1u);
}

TEST_F(ShareValidatorTest, NearMissIsBelowTarget) {
  const lease::Unit* u = Start(kEasy);
  ShareCheck c = validator_.Validate(In(u, Find(u, false)));
  EXPECT_EQ(c.state, ShareState::kBelowTarget);
  EXPECT_TRUE(c.device_error);
  EXPECT_FALSE(c.submit.has_value());
  EXPECT_EQ(validator_.counts().best_difficulty, 0);  // Only shares that met the target count.
}

TEST_F(ShareValidatorTest, BestDifficultyIsTheHighestHashDifficulty) {
  const lease::Unit* u = Start(kEasy);
  uint32_t first = Find(u, true);
  ASSERT_EQ(validator_.Validate(In(u, first)).state, ShareState::kPending);
  double best = validator_.counts().best_difficulty;
  double expected = bitcoin::DifficultyFromTarget(
      bitcoin::Uint256::FromHash(hash::HashNonce(u->midstate->work, first)));
  EXPECT_DOUBLE_EQ(best, expected);
  // A duplicate does not count again; the best never goes down.
  ASSERT_EQ(validator_.Validate(In(u, first)).state, ShareState::kDuplicate);
  EXPECT_DOUBLE_EQ(validator_.counts().best_difficulty, best);
}

TEST_F(ShareValidatorTest, ForgedShareIsHardwareError) {
  const lease::Unit* u = Start(1.0);  // Target ~2^224: a random nonce is far above it.
  ShareCheck c = validator_.Validate(In(u, u->nonce_start + 5));
  EXPECT_EQ(c.state, ShareState::kHardwareError);
  EXPECT_TRUE(c.device_error);
  EXPECT_EQ(validator_.counts().hardware_error, 1u);
}

TEST_F(ShareValidatorTest, UnknownUnitMidstateOrRange) {
  const lease::Unit* u = Start(kEasy);
  uint32_t nonce = Find(u, true);
  ShareIn bad = In(u, nonce);
  bad.unit_id = 987654;
  EXPECT_EQ(validator_.Validate(bad).state, ShareState::kUnknownUnit);
  bad = In(u, nonce);
  bad.midstate_id += 1;
  EXPECT_EQ(validator_.Validate(bad).state, ShareState::kUnknownUnit);
  bad = In(u, nonce);
  bad.job_key = "9/other";
  EXPECT_EQ(validator_.Validate(bad).state, ShareState::kUnknownUnit);
  bad = In(u, static_cast<uint32_t>(u->nonce_start + u->nonce_count));  // One past the end.
  EXPECT_EQ(validator_.Validate(bad).state, ShareState::kUnknownUnit);
  EXPECT_EQ(validator_.counts().unknown_unit, 4u);
}

TEST_F(ShareValidatorTest, ShareOfCleanedJobIsStale) {
  const lease::Unit* u = Start(kEasy);
  uint32_t nonce = Find(u, true);
  ShareIn share = In(u, nonce);
  Start(kEasy, 0, /*clean=*/true);  // New clean job: the old unit is gone.
  ShareCheck c = validator_.Validate(share);
  EXPECT_EQ(c.state, ShareState::kStale);
  EXPECT_EQ(validator_.counts().stale, 1u);
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
  ASSERT_EQ(c.state, ShareState::kPending);
  EXPECT_TRUE(c.submit->has_version_bits);
  EXPECT_EQ(c.submit->version_bits, 0x2000u);
  EXPECT_EQ(c.submit->version, 0x20002000u);
}

TEST(CompactToTargetTest, Block125552) {
  hash::Target256 t = CompactToTarget(0x1a44b9f2);  // 44b9f2 · 256^23.
  EXPECT_EQ(t[5], 0xf2000000u);
  EXPECT_EQ(t[6], 0x000044b9u);
  EXPECT_EQ(t[7], 0u);
  EXPECT_EQ(t[4], 0u);
}

}  // namespace
}  // namespace synth::shares
