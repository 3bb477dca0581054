// SPDX-License-Identifier: Apache-2.0
#include "daemon/app/service_notify.hpp"

#include <fmt/format.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "daemon/engine/cycle.hpp"
#include "daemon/log/log.hpp"
#include "daemon/log/redact.hpp"
#include "model/time.hpp"

namespace complyd {

namespace {

// STATUS= is one line; sd_notify separates assignments by newlines.
std::string one_line(std::string_view text) {
  std::string out = redact(text);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

}  // namespace

ServiceNotifier::ServiceNotifier(boost::asio::io_context& io) : timer_(io) {
  std::uint64_t usec = 0;
  // unset_environment=0: `complyd` starts no children that could misuse it.
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) watchdog_ = std::chrono::microseconds(usec);
}

void ServiceNotifier::send(const std::string& state) {
  const int r = sd_notify(0, state.c_str());
  if (r < 0) CLOG(debug) << "sd_notify failed: " << -r;
}

void ServiceNotifier::ready(std::string_view status) {
  last_status_ = one_line(status);
  send("READY=1\nSTATUS=" + last_status_);
  if (watchdog_.count() > 0 && !pinging_) {
    pinging_ = true;
    CLOG(debug) << "watchdog: pinging every " << (watchdog_ / 2).count() << "us";
    ping();
  }
}

void ServiceNotifier::status(std::string_view status) {
  last_status_ = one_line(status);
  send("STATUS=" + last_status_);
}

// MONOTONIC_USEC: what Type=notify-reload (systemd 253) needs to match the reload to the signal.
void ServiceNotifier::reloading() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<std::uint64_t>(ts.tv_sec) * 1000000u + static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
  send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}\nSTATUS=reloading the configuration", usec));
}

void ServiceNotifier::reloaded(bool ok) {
  send("READY=1\nSTATUS=" + (ok ? last_status_ : "reload refused, running the previous configuration; " + last_status_));
}

void ServiceNotifier::stopping(std::string_view status) {
  pinging_ = false;
  timer_.cancel();
  send("STOPPING=1\nSTATUS=" + one_line(status));
}

void ServiceNotifier::ping() {
  if (!pinging_) return;
  send("WATCHDOG=1");
  timer_.expires_after(watchdog_ / 2);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) ping();
  });
}

std::string cycle_status(const CycleOutcome& outcome) {
  const CycleRecord& r = outcome.record;
  const std::string at = format_time(r.finished_at.value_or(r.started_at));
  if (!outcome.committed) return fmt::format("last cycle {}: not committed (stopping)", at);
  std::string s = fmt::format("last cycle {}: {}; {} open finding(s) ({} opened, {} reopened, {} resolved); "
                              "{} check(s) run, {} skipped",
                              at, r.status, r.open_total, r.opened, r.reopened, r.resolved, r.checks_run,
                              r.checks_skipped);
  if (!r.error.empty()) s += "; " + r.error;
  return s;
}

}  // namespace complyd
