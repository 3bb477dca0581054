// SPDX-License-Identifier: Apache-2.0
// The queue between the cycle's evaluating threads and its writer.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "daemon/util/writer_queue.hpp"
#include "tests/wait_until.hpp"

namespace complyd {
namespace {

using namespace std::chrono_literals;

// drain() on a detached thread that shares the queue: a drain that never
// returns fails the test (the future is not ready) instead of hanging it.
std::future<void> drain_async(std::shared_ptr<WriterQueue> q) {
  std::promise<void> returned;
  auto f = returned.get_future();
  std::thread([q = std::move(q), returned = std::move(returned)]() mutable {
    try {
      q->drain();
      returned.set_value();
    } catch (...) {
      returned.set_exception(std::current_exception());
    }
  }).detach();
  return f;
}

TEST(WriterQueue, RunsEveryJobOnTheDrainingThreadInPushOrderPerProducer) {
  WriterQueue q(2);
  std::vector<int> seen;  // touched by the draining thread only
  const auto writer = std::this_thread::get_id();
  std::atomic<bool> elsewhere{false};
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) {
      q.push([&, i] {
        elsewhere = elsewhere || std::this_thread::get_id() != writer;
        seen.push_back(i);
      }, i % 2 == 0);
    }
    q.close();
  });
  q.drain();
  producer.join();
  EXPECT_FALSE(elsewhere.load());
  ASSERT_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(seen[i], i);
}

TEST(WriterQueue, BoundedJobsNeverQueueBeyondTheLimit) {
  WriterQueue q(3);
  std::atomic<int> pushed{0}, ran{0};
  std::thread producer([&] {
    for (int i = 0; i < 50; ++i) {
      q.push([&] { ++ran; }, true);
      ++pushed;
    }
    q.close();
  });
  // Nothing drains yet: the producer stops once 3 are waiting. (EXPECT:
  // the producer thread must still be joined below.)
  EXPECT_TRUE(wait_until([&] { return pushed.load() >= 3; }, 5s));
  // A blocked producer shows only as nothing more happening: give it a
  // window in which a fourth push would land.
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(pushed.load(), 3);
  q.drain();
  producer.join();
  EXPECT_EQ(ran.load(), 50);
}

TEST(WriterQueue, AfterAFailingJobTheRestAreDroppedProducersGoOnAndTheErrorIsRethrown) {
  WriterQueue q(1);
  std::atomic<int> ran{0};
  std::thread producer([&] {
    q.push([] { throw std::runtime_error("disk full"); });
    // Bounded pushes with a limit of 1 would wait forever if dropped jobs
    // did not free their room.
    for (int i = 0; i < 20; ++i) q.push([&] { ++ran; }, true);
    q.close();
  });
  EXPECT_THROW(
      {
        try {
          q.drain();
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "disk full");
          throw;
        }
      },
      std::runtime_error);
  producer.join();
  EXPECT_EQ(ran.load(), 0);
}

TEST(WriterQueue, DrainReturnsOnceClosedAndEmpty) {
  // Closed before drain starts: every job pushed before close runs, then
  // drain returns.
  {
    auto q = std::make_shared<WriterQueue>(4);
    auto ran = std::make_shared<std::atomic<int>>(0);
    for (int i = 0; i < 5; ++i) q->push([ran] { ++*ran; }, i % 2 == 0);
    q->close();
    auto returned = drain_async(q);
    ASSERT_TRUE(returned.wait_for(10s) == std::future_status::ready) << "drain did not return once closed and empty";
    returned.get();
    EXPECT_EQ(ran->load(), 5);
  }
  // Closed while drain already waits on an empty queue: it wakes and returns.
  {
    auto q = std::make_shared<WriterQueue>(4);
    auto first = std::make_shared<std::promise<void>>();
    auto first_ran = first->get_future();
    q->push([first] { first->set_value(); });
    auto returned = drain_async(q);
    ASSERT_TRUE(first_ran.wait_for(10s) == std::future_status::ready) << "drain did not run the queued job";
    // Open and empty: drain must keep waiting (a window to show it does not
    // return; it also lets drain get back to waiting before the close).
    EXPECT_TRUE(returned.wait_for(100ms) == std::future_status::timeout) << "drain returned before close";
    q->close();
    ASSERT_TRUE(returned.wait_for(10s) == std::future_status::ready) << "close did not wake the waiting drain";
    returned.get();
  }
}

}  // namespace
}  // namespace complyd
