#include "master/ctl/format.h"

#include "gtest/gtest.h"

namespace synth::ctl {
namespace {

TEST(FormatTest, StatusShowsRateAndShares) {
  v1::StatusResponse s;
  s.set_pool_url("stratum+tcp://127.0.0.1:3333");
  s.set_pool_connected(true);
  s.set_reported_rate_hps(100e6);
  s.set_workers(2);
  s.mutable_shares()->set_found(10);
  s.mutable_shares()->set_accepted(9);
  s.mutable_shares()->set_stale(1);
  std::string out = FormatStatus(s);
  EXPECT_NE(out.find("100.00 MH/s reported"), std::string::npos) << out;
  EXPECT_NE(out.find("found 10 = accepted 9"), std::string::npos) << out;
  EXPECT_NE(out.find("stale 1"), std::string::npos) << out;
  EXPECT_NE(out.find("connected"), std::string::npos) << out;
}

TEST(FormatTest, WorkersListsDevicesAndFlags) {
  v1::WorkersResponse w;
  v1::WorkerStatus* x = w.add_workers();
  x->set_worker_id("w1");
  x->set_flagged(true);
  x->add_devices()->set_name("cuda:0");
  std::string out = FormatWorkers(w);
  EXPECT_NE(out.find("w1"), std::string::npos);
  EXPECT_NE(out.find("cuda:0"), std::string::npos);
  EXPECT_NE(out.find("FLAGGED"), std::string::npos);
}

}  // namespace
}  // namespace synth::ctl
