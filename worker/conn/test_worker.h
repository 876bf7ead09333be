// File: worker/conn/test_worker.h
//
// Test-only: a worker (a scheduler over one FakeDevice and a MasterConnection) pointed at a
// FakeMaster, for the connection's tests over loopback gRPC.
//
//   FakeMaster master({});
//   ASSERT_TRUE(master.Start(0).ok());
//   TestWorker worker(master.Address());
//   ConnectionStats s = worker.conn->Stats();
//
// Thread-safety: as MasterConnection and Scheduler.
#ifndef SYNTH_WORKER_CONN_TEST_WORKER_H_
#define SYNTH_WORKER_CONN_TEST_WORKER_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "worker/conn/master_connection.h"
#include "worker/scheduler/fake_device.h"
#include "worker/scheduler/scheduler.h"

namespace synth::worker {

// A worker (scheduler over a fake device + connection) pointed at a fake master; `tweak`
// adjusts the connection's options (fast backoff by default).
struct TestWorker {
  explicit TestWorker(const std::string& address, FakeDevice::Script script = {},
                  std::string token = "tok", size_t outbox_capacity = 100000,
                  const std::function<void(ConnectionOptions&)>& tweak = nullptr) {
    ConnectionOptions options;
    options.outbox_capacity = outbox_capacity;
    options.master = address;
    options.token = std::move(token);
    options.worker_id = "w1";
    options.backoff = {.initial = absl::Milliseconds(50), .max = absl::Milliseconds(200)};
    options.auth_backoff = absl::Milliseconds(100);
    if (tweak) tweak(options);
    conn = std::make_unique<MasterConnection>(options);
    std::vector<std::unique_ptr<Device>> devices;
    if (script.share_every == 0) script.share_every = 1 << 20;
    script.real_delay = absl::Milliseconds(1);
    devices.push_back(std::make_unique<FakeDevice>("cpu0", script));
    SchedulerOptions sopts;
    sopts.clock = &clock;
    sched = std::make_unique<Scheduler>(std::move(devices), sopts, conn->SchedulerHooks());
    sched->Start();
    conn->Start(sched.get());
  }
  ~TestWorker() {
    if (sched) conn->Shutdown(sched.get(), absl::Milliseconds(500));
  }
  PerThreadFakeClock clock;
  std::unique_ptr<MasterConnection> conn;
  std::unique_ptr<Scheduler> sched;
};

}  // namespace synth::worker

#endif  // SYNTH_WORKER_CONN_TEST_WORKER_H_
