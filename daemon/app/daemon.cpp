#include "daemon/app/daemon.hpp"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <csignal>

#include "daemon/engine/cycle.hpp"
#include "daemon/log/log.hpp"

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
  } catch (const std::exception& e) {
    CLOG(error) << "cannot open the state database: " << e.what();
    return 1;
  }
  CLOG(info) << fmt::format("complyd started: config {}, state {}, interval {}, jitter {}", config_path_.string(),
                            config_->state_db.string(), format_duration(config_->schedule.interval),
                            format_duration(config_->schedule.jitter));
  wait_signals();
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
  auto result = load_config(config_path_);
  if (!result.ok()) {
    CLOG(error) << "reload failed, keeping the running configuration:";
    for (const auto& p : result.problems) CLOG(error) << "  " << p.to_string();
    return;
  }
  if (result.config->state_db != config_->state_db) {
    CLOG(warning) << "state.path changed; the new path takes effect after a restart";
    result.config->state_db = config_->state_db;
  }
  const bool schedule_changed = result.config->schedule.interval != config_->schedule.interval ||
                                result.config->schedule.jitter != config_->schedule.jitter;
  log::set_level(result.config->log_level);
  config_ = std::make_shared<const Config>(std::move(*result.config));
  CLOG(info) << "configuration reloaded from " << config_path_.string();
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
    try {
      CycleRunner runner(*config, *store_, clock_);
      runner.run([this] { return !stopping_.load(); });
    } catch (const std::exception& e) {
      ok = false;
      CLOG(error) << "cycle failed: " << e.what();
    }
    boost::asio::post(io_, [this, ok] {
      cycle_running_ = false;
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
  timer_.cancel();
  signals_.cancel();
  if (!cycle_running_) io_.stop();
  // Otherwise the cycle's completion handler stops the loop.
}

}  // namespace complyd
