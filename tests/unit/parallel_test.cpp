// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "daemon/util/parallel.hpp"

namespace complyd {
namespace {

TEST(RunParallel, RunsEveryTaskExactlyOnceOnSeveralThreads) {
  for (unsigned workers : {1u, 2u, 4u, 64u}) {
    std::vector<std::atomic<int>> runs(100);
    std::vector<std::function<void()>> tasks;
    for (auto& r : runs) tasks.emplace_back([&r] { ++r; });
    run_parallel(tasks, workers);
    for (const auto& r : runs) EXPECT_EQ(r.load(), 1) << workers << " workers";
  }
  run_parallel({}, 4);  // nothing to do is fine
}

TEST(RunParallel, UsesMoreThanOneThreadWhenAsked) {
  // Two tasks that each wait for the other: they finish only when both run at once.
  std::atomic<int> arrived{0};
  auto meet = [&] {
    ++arrived;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (arrived.load() < 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  };
  run_parallel({meet, meet}, 2);
  EXPECT_EQ(arrived.load(), 2);
  const auto t0 = std::chrono::steady_clock::now();
  arrived = 0;
  run_parallel({meet, meet}, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST(RunParallel, AFailingTaskDoesNotStopTheOthersAndItsErrorIsRethrown) {
  std::atomic<int> done{0};
  std::vector<std::function<void()>> tasks{[] { throw std::runtime_error("boom"); }, [&] { ++done; },
                                           [&] { ++done; }};
  EXPECT_THROW(run_parallel(tasks, 2), std::runtime_error);
  EXPECT_EQ(done.load(), 2);
}

}  // namespace
}  // namespace complyd
