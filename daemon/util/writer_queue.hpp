// SPDX-License-Identifier: Apache-2.0
// A queue of jobs for one writer thread, fed by several producers: the
// cycle's threads that evaluate hand their results to the thread that owns
// the state database connection (daemon/engine/cycle.cpp).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>

namespace complyd {

class WriterQueue {
 public:
  // `bounded` jobs (report state batches) wait while `limit` of them are
  // queued: their producers would otherwise outrun the writer and hold the
  // text of every state at once. Check results never wait (they are held
  // for the rest of the cycle anyway).
  explicit WriterQueue(std::size_t limit) : limit_(limit) {}

  void push(std::function<void()> job, bool bounded = false) {
    {
      std::unique_lock lock(mu_);
      if (bounded) {
        room_.wait(lock, [&] { return bounded_ < limit_; });
        ++bounded_;
      }
      jobs_.push_back({std::move(job), bounded});
    }
    ready_.notify_one();
  }
  void close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    ready_.notify_one();
  }
  // Runs jobs on the calling thread until closed and drained. After a job
  // throws, the rest are dropped (still dequeued, so no producer waits
  // forever) and the first exception is rethrown at the end.
  void drain() {
    std::exception_ptr error;
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return closed_ || !jobs_.empty(); });
        if (jobs_.empty()) break;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      if (!error) {
        try {
          job.run();
        } catch (...) {
          error = std::current_exception();
        }
      }
      job.run = {};  // its memory goes before the next one is taken
      if (job.bounded) {
        {
          std::lock_guard lock(mu_);
          --bounded_;
        }
        room_.notify_all();
      }
    }
    if (error) std::rethrow_exception(error);
  }

 private:
  struct Job {
    std::function<void()> run;
    bool bounded = false;
  };
  const std::size_t limit_;
  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<Job> jobs_;
  std::size_t bounded_ = 0;
  bool closed_ = false;
};

}  // namespace complyd
