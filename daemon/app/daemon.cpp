// SPDX-License-Identifier: Apache-2.0
#include "daemon/app/daemon.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <unistd.h>

#include <csignal>
#include <vector>

#include "daemon/app/cycle.hpp"
#include "daemon/util/memory.hpp"
#include "daemon/log/log.hpp"
#include "daemon/sources/http_client.hpp"
#include "daemon/sources/registry.hpp"

namespace complyd {

Daemon::Daemon(std::filesystem::path config_path, Config config, Clock clock)
    : config_path_(std::move(config_path)),
      config_(std::make_shared<const Config>(std::move(config))),
      clock_(std::move(clock)),
      signals_(io_, SIGINT, SIGTERM, SIGHUP),
      timer_(io_) {}

Daemon::~Daemon() { worker_.join(); }

int Daemon::run() {
  try {
    store_ = std::make_unique<StateStore>(config_->state_db);
    lock_ = std::make_unique<StateLock>(config_->state_db);  // after the open, whose errors say more
    if (store_->recorded_use() == StateUse::simulated) {
      throw StateError(fmt::format("{} holds simulated cycles (complyd audit --now); the daemon records real "
                                   "cycles only: point state_db at a database of its own",
                                   config_->state_db.string()));
    }
  } catch (const StateError& e) {  // e.g. downgrade refused: a restart cannot fix it (exit 2, not restarted)
    CLOG(error) << e.what();
    notifier_.status(e.what());
    return 2;
  } catch (const std::exception& e) {
    CLOG(error) << "cannot open the state database: " << e.what();
    notifier_.status(std::string("cannot open the state database: ") + e.what());
    return 1;
  }
  CLOG(info) << fmt::format("complyd started: config {}, state {}, interval {}, jitter {}, allocator {}",
                            config_path_.string(), config_->state_db.string(),
                            format_duration(config_->schedule.interval), format_duration(config_->schedule.jitter),
                            allocator_description());
  wait_signals();
  notifier_.ready("started; first cycle running");  // config loaded and database open
  mailer_ = std::make_unique<notify::DeliveryLoop>(io_, worker_, *store_, clock_, stopping_);
  mailer_->start(config_);
  start_http();
  schedule(std::chrono::seconds{0});  // first cycle right away
  io_.run();
  worker_.join();
  CLOG(info) << "complyd stopped";
  return exit_code_;
}

void Daemon::wait_signals() {
  signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    on_signal(sig);
    if (!stopping_) wait_signals();
  });
}

void Daemon::on_signal(int sig) {
  if (sig == SIGHUP) {
    reload();
    return;
  }
  CLOG(notice) << "received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", stopping"
               << (cycle_running_ ? " (the running cycle is rolled back)" : "");
  stop();
}

void Daemon::reload() {
  notifier_.reloading();
  ReloadStatus status{::getpid(), ++reload_generation_, false, {}};
  // For `complyd reload`; it reads the new file's state.path, so a changed one gets a copy too.
  auto publish = [&](const std::filesystem::path& new_db) {
    std::vector<std::filesystem::path> dbs{config_->state_db};
    if (!new_db.empty() && new_db != config_->state_db) dbs.push_back(new_db);
    for (const auto& db : dbs) {
      if (!write_reload_status(reload_status_path(db), status)) {
        CLOG(warning) << "cannot write the reload status " << reload_status_path(db).string();
      }
    }
  };
  auto result = load_config(config_path_);
  if (!result.ok()) {
    CLOG(error) << "reload failed, keeping the running configuration:";
    status.message = "reload refused, the running configuration is kept:\n";
    for (const auto& p : result.problems) {
      CLOG(error) << "  " << p.to_string();
      status.message += "  " + p.to_string() + "\n";
    }
    notifier_.reloaded(false);
    publish({});
    return;
  }
  const auto new_state_db = result.config->state_db;
  if (new_state_db != config_->state_db) {
    CLOG(warning) << "state.path changed; the new path takes effect after a restart";
    status.message += "state.path changed; the new path takes effect after a restart\n";
    result.config->state_db = config_->state_db;
  }
  const bool schedule_changed = result.config->schedule.interval != config_->schedule.interval ||
                                result.config->schedule.jitter != config_->schedule.jitter;
  log::set_level(result.config->log_level);
  config_ = std::make_shared<const Config>(std::move(*result.config));
  if (mailer_) mailer_->set_config(config_);
  reload_http();
  CLOG(info) << "configuration reloaded from " << config_path_.string();
  notifier_.reloaded(true);
  status.ok = true;
  status.message += "configuration reloaded from " + config_path_.string() + "\n";
  publish(new_state_db);
  if (schedule_changed && !cycle_running_) schedule(next_delay());
}

std::chrono::seconds Daemon::next_delay() {
  auto d = config_->schedule.interval;
  if (config_->schedule.jitter.count() > 0) {
    d += Duration{std::uniform_int_distribution<std::int64_t>(0, config_->schedule.jitter.count())(rng_)};
  }
  return d;
}

void Daemon::schedule(std::chrono::seconds delay) {
  if (stopping_) return;
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) start_cycle();
  });
}

void Daemon::start_cycle() {
  if (stopping_ || cycle_running_) return;
  cycle_running_ = true;
  auto config = config_;  // the cycle keeps the config it started with
  boost::asio::post(worker_, [this, config] {
    bool ok = true;
    std::string status;  // for systemd's STATUS=
    const auto started = std::chrono::steady_clock::now();
    try {
      status = cycle_status(run_cycle(*config, *store_, clock_, [this] { return !stopping_.load(); }));
    } catch (const std::exception& e) {
      ok = false;
      CLOG(error) << "cycle failed: " << e.what();
      status = std::string("last cycle failed: ") + e.what();
    }
    durations_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    publish_snapshot(config->http.report_max_customers, config->report.default_owner);
    // The cycle's snapshot is gone; between cycles (most of the hour) the
    // service should hold only what it serves.
    if (!return_free_memory()) CLOG(debug) << "the allocator did not return freed memory";
    boost::asio::post(io_, [this, ok, status] {
      cycle_running_ = false;
      if (mailer_) mailer_->kick();  // deliver what the cycle enqueued
      notifier_.status(status);
      if (!ok) CLOG(warning) << "next cycle as scheduled";
      if (stopping_) {
        io_.stop();
      } else {
        const auto d = next_delay();
        CLOG(debug) << "next cycle in " << format_duration(d);
        schedule(d);
      }
    });
  });
}

void Daemon::stop() {
  stopping_ = true;
  request_sources_stop();  // a cycle collecting from a slow source stops now, not at its deadline
  notifier_.stopping("stopping");
  timer_.cancel();
  if (mailer_) mailer_->stop();
  if (http_) http_->stop();
  signals_.cancel();
  if (!cycle_running_) io_.stop();
  // Otherwise the cycle's completion handler stops the loop.
}

}  // namespace complyd
