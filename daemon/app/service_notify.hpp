// SPDX-License-Identifier: Apache-2.0
// systemd service integration (sd_notify): READY=1, STATUS=, RELOADING=1,
// STOPPING=1 and the watchdog. Everything is a no-op when NOTIFY_SOCKET is
// not set, so `complyd run` behaves the same under any other supervisor.
//
// The watchdog ping is a steady_timer on the daemon's io_context at half of
// WATCHDOG_USEC: if the Asio loop stops turning, the pings stop and systemd
// restarts the service (WatchdogSec= in systemd/complyd.service).
#pragma once

#include "daemon/util/prelude.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>
#include <string_view>

namespace complyd {

struct CycleOutcome;

class ServiceNotifier {
 public:
  explicit ServiceNotifier(boost::asio::io_context& io);

  // READY=1 with a STATUS= line (remembered as the current status); starts the watchdog pings when systemd asked
  // for them (WATCHDOG_USEC, and WATCHDOG_PID when set, naming this process).
  void ready(std::string_view status);
  void status(std::string_view status);
  void reloading();                 // RELOADING=1; follow with reloaded()
  void reloaded(bool ok);           // READY=1 again; STATUS= says when the new file was refused
  void stopping(std::string_view status);  // STOPPING=1; stops the pings

  // The watchdog interval systemd asked for; zero when none.
  std::chrono::microseconds watchdog_interval() const { return watchdog_; }

 private:
  void send(const std::string& state);
  void ping();

  boost::asio::steady_timer timer_;
  std::chrono::microseconds watchdog_{0};
  bool pinging_ = false;
  std::string last_status_;
};

// The STATUS= text for a finished cycle: outcome, counts, redacted.
std::string cycle_status(const CycleOutcome& outcome);

}  // namespace complyd
