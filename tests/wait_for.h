// File: tests/wait_for.h
//
// Test-only: a bounded poll for a condition another thread makes true.
//
//   ASSERT_TRUE(synth::testing::WaitFor([&] { return client->Status().connected; }));
#ifndef SYNTH_TESTS_WAIT_FOR_H_
#define SYNTH_TESTS_WAIT_FOR_H_

#include <chrono>
#include <functional>
#include <thread>

namespace synth::testing {

// Polls `cond` every 5 ms for up to `timeout_ms`; returns its last value.
inline bool WaitFor(const std::function<bool()>& cond, int timeout_ms = 5000) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return cond();
}

}  // namespace synth::testing

#endif  // SYNTH_TESTS_WAIT_FOR_H_
