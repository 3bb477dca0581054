// SPDX-License-Identifier: Apache-2.0
// Waiting on a condition in tests (unit and integration): tests wait for
// what they need to see, never for a fixed time that hopes it happened.
#pragma once

#include <chrono>
#include <thread>

namespace complyd {

// Polls `pred` until it holds (true) or `timeout` passes (false). `pred` is
// asked once more after the deadline, so a slow machine only makes it slower.
template <class Pred, class Rep, class Period>
bool wait_until(Pred&& pred, std::chrono::duration<Rep, Period> timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const bool past = std::chrono::steady_clock::now() >= deadline;
    if (pred()) return true;
    if (past) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace complyd
