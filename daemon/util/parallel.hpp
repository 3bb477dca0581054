// SPDX-License-Identifier: Apache-2.0
// Runs independent tasks on a few threads for the span of one call: the
// checks and the report summary all read the same snapshot and none writes
// it, so a cycle can use every core without locks.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

namespace complyd {

// Hardware threads, at least 1 (hardware_concurrency() may report 0).
inline unsigned default_workers() { return std::max(1u, std::thread::hardware_concurrency()); }

// Runs every task once, in list order of start, on up to `workers` threads
// (the caller's included); returns when all have finished. A task should not
// throw: if one does, the first exception is rethrown after all have run.
inline void run_parallel(const std::vector<std::function<void()>>& tasks, unsigned workers) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr first_error;
  std::atomic_flag error_taken;
  auto work = [&] {
    for (std::size_t i = next++; i < tasks.size(); i = next++) {
      try {
        tasks[i]();
      } catch (...) {
        if (!error_taken.test_and_set()) first_error = std::current_exception();
      }
    }
  };
  const std::size_t n = std::min<std::size_t>(std::max(1u, workers), tasks.size());
  std::vector<std::jthread> threads;
  for (std::size_t t = 1; t < n; ++t) threads.emplace_back(work);
  work();
  threads.clear();  // joins
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace complyd
