// Waiting for the real world (a daemon to listen, a VIP to move).
//
// Lab tests run real processes on real time, so they poll a condition with a
// deadline instead of sleeping a guessed amount: fast when things are fast,
// and a clear failure (not a hang) when they never happen.
#pragma once

#include <chrono>
#include <thread>

namespace lbha::lab {

// Polls `condition` every `interval` until it is true (returns true) or
// `timeout` has passed (returns false, after one last try).
template <typename Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(interval);
  }
  return condition();
}

}  // namespace lbha::lab
