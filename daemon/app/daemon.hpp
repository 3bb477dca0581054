// SPDX-License-Identifier: Apache-2.0
// `complyd run`: the Boost.Asio service loop. Cycles run on a worker thread
// (never two at once); the loop handles the schedule and signals.
#pragma once

#include "daemon/util/prelude.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <memory>
#include <random>

#include "daemon/app/reload_status.hpp"
#include "daemon/app/service_notify.hpp"
#include "daemon/config/config.hpp"
#include "daemon/http/server.hpp"
#include "daemon/http/snapshot.hpp"
#include "daemon/notify/notifier.hpp"
#include "daemon/store/state_lock.hpp"
#include "daemon/store/state_store.hpp"
#include "model/time.hpp"

namespace complyd {

class Daemon {
 public:
  Daemon(std::filesystem::path config_path, Config config, Clock clock);
  ~Daemon();
  // Blocks until SIGTERM or SIGINT; returns the process exit code.
  int run();

 private:
  void wait_signals();
  void on_signal(int sig);
  void reload();
  std::uint64_t reload_generation_ = 0;
  void schedule(std::chrono::seconds delay);
  void start_cycle();
  void stop();
  std::chrono::seconds next_delay();

  std::filesystem::path config_path_;
  std::shared_ptr<const Config> config_;
  Clock clock_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer timer_;
  ServiceNotifier notifier_{io_};  // sd_notify: READY, STATUS, watchdog (no-op outside systemd)
  boost::asio::thread_pool worker_{1};
  std::unique_ptr<StateLock> lock_;  // held while the daemon runs: its database is not another run's
  std::unique_ptr<StateStore> store_;  // used by the worker thread only
  std::unique_ptr<notify::DeliveryLoop> mailer_;  // e-mail delivery, on the same worker
  std::unique_ptr<http::Server> http_;  // [http]; handlers read snapshots published by the worker
  void start_http();                    // daemon/http/daemon_http.cpp
  void reload_http();                   // loop thread: [http] and the ingest routes
  std::shared_ptr<http::Ingest> ingest_;  // POST /v1/verifications (ingest sources)
  std::shared_ptr<http::Console> console_;  // the web console ([http] console = true)
  // The mutelist's rules as the console lists them: replaced on the loop
  // thread at each reload, read on the console's.
  struct ConsoleMutelist;
  std::shared_ptr<ConsoleMutelist> console_mutelist_;
  void publish_snapshot(std::int64_t report_max_customers, const std::string& default_owner);  // worker thread only
  http::CycleDurations durations_;                           // worker thread only
  std::atomic<bool> stopping_{false};
  bool cycle_running_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
  int exit_code_ = 0;
};

}  // namespace complyd
